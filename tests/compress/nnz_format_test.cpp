// The .nnz file: round trips of raw, clustered and sparse tensors, a whole model, and every
// single-byte change and every truncation of a small file detected as an error.
#include "nnlab/compress/nnz_format.h"

#include <gtest/gtest.h>
#include <torch/torch.h>
#include <zlib.h>

#include <algorithm>
#include <cstring>

#include "nnlab/compress/magnitude_pruning.h"
#include "nnlab/compress/nnz_model.h"
#include "nnlab/core/error.h"
#include "nnlab/models/registry.h"

namespace nnlab::compress {

namespace {

// lenet300 with fc1 pruned to 10% and clustered at 4 bits, fc2 clustered densely at 3 bits.
std::pair<models::Classifier, NnzModel> compressed_lenet(int seed,
                                                         NnzOptions options = {5, false}) {
  torch::manual_seed(seed);
  auto model = models::create_model("lenet300");
  MagnitudePruningOptions pruning;
  pruning.sparsity = 0.9;
  pruning.layers = {"fc1.weight"};
  auto masks = magnitude_prune(model, pruning);
  masks.apply(model);
  std::vector<std::pair<std::string, ClusteredTensor>> clusters;
  torch::NoGradGuard no_grad;
  for (auto& [name, p] : model.named_parameters()) {
    if (name == "fc1.weight") {
      clusters.emplace_back(name, kmeans_cluster(p, masks.mask_of(name), {4, 30}));
    } else if (name == "fc2.weight") {
      clusters.emplace_back(name, kmeans_cluster(p, {}, {3, 30}));
    } else {
      continue;
    }
    p.copy_(clustered_weights(clusters.back().second));
  }
  return {model, nnz_from_model(model, clusters, options)};
}

}  // namespace

TEST(NnzFormat, AModelRoundTripsAndIsSmall) {
  auto [model, nnz] = compressed_lenet(0);
  const auto bytes = encode_nnz(nnz);
  const auto decoded =
      decode_nnz(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size(), "m.nnz");
  ASSERT_EQ(decoded.tensors.size(), nnz.tensors.size());
  EXPECT_EQ(decoded.tensors[0].kind, NnzTensor::Kind::kSparse);
  EXPECT_EQ(decoded.tensors[2].kind, NnzTensor::Kind::kClustered);
  auto reloaded = models::classifier_from_checkpoint(nnz_to_checkpoint(decoded), "m.nnz");
  model.eval();
  reloaded.eval();
  const auto x = torch::rand({4, 1, 28, 28});
  EXPECT_TRUE(torch::equal(reloaded(x), model(x)));
  // 266,610 float32 parameters are 1,066,440 bytes; fc1 at 10% with 4-bit indices and gaps and
  // fc2 at 3 bits leave mostly the 10 x 100 raw fc3 and the biases.
  EXPECT_LT(bytes.size() * 10, 266610u * 4);
}

TEST(NnzFormat, PerLayerGapWidthCodesNoLargerThanAFixedOne) {
  const auto fixed = encode_nnz(compressed_lenet(0, {5, false}).second);
  auto [model, nnz] = compressed_lenet(0, {0, false});
  EXPECT_LE(encode_nnz(nnz).size(), fixed.size());
  EXPECT_GE(nnz.tensors[0].gap_bits, 1);
  const auto bytes = encode_nnz(nnz);
  const auto decoded =
      decode_nnz(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size(), "m.nnz");
  EXPECT_TRUE(torch::equal(nnz_dense(decoded.tensors[0]), nnz_dense(nnz.tensors[0])));
  EXPECT_THROW(compressed_lenet(0, {17, false}), std::invalid_argument);
}

TEST(NnzFormat, TheRestInHalfPrecisionDecodesToFloat16Values) {
  auto [model, nnz] = compressed_lenet(0, {5, true});
  const auto bytes = encode_nnz(nnz);
  const auto decoded =
      decode_nnz(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size(), "m.nnz");
  const auto& fc3 = decoded.tensors[4];  // fc3.weight: not clustered
  ASSERT_EQ(fc3.name, "fc3.weight");
  EXPECT_EQ(fc3.kind, NnzTensor::Kind::kHalf);
  torch::Tensor original;
  for (const auto& [name, p] : model.named_parameters()) {
    if (name == "fc3.weight") original = p.detach();
  }
  EXPECT_TRUE(torch::equal(nnz_dense(fc3), original.to(torch::kHalf).to(torch::kFloat)));
  EXPECT_LT(bytes.size(), encode_nnz(compressed_lenet(0, {5, false}).second).size() - 1000 * 2 + 1);
}

TEST(NnzFormat, OnlyTheCentroidsInUseAreStored) {
  torch::manual_seed(2);
  auto model = models::create_model("lenet300");
  // fc3 (10 x 100) in a 256-centroid codebook of which it uses three, one weight pruned.
  ClusteredTensor c;
  c.centroids = torch::linspace(-1, 1, 256);
  c.indices = torch::randint(0, 3, {10, 100}, torch::kLong) * 100;  // 0, 100, 200
  c.indices[0][0] = -1;
  {
    torch::NoGradGuard no_grad;
    for (auto& [name, p] : model.named_parameters()) {
      if (name == "fc3.weight") p.copy_(clustered_weights(c));
    }
  }
  const auto nnz = nnz_from_model(model, {{"fc3.weight", c}});
  const auto& fc3 = nnz.tensors[4];
  ASSERT_EQ(fc3.name, "fc3.weight");
  EXPECT_EQ(fc3.codebook.size(), 3u);
  EXPECT_TRUE(torch::equal(nnz_dense(fc3), clustered_weights(c)));
}

TEST(NnzFormat, PerChannelLevelsGetACodebookPerRowAndIndicesOfTheirOwnWidth) {
  torch::manual_seed(3);
  auto model = models::create_model("lenet300");
  std::vector<std::pair<std::string, ClusteredTensor>> clusters;
  {
    torch::NoGradGuard no_grad;
    for (auto& [name, p] : model.named_parameters()) {
      if (name != "fc2.weight") continue;
      clusters.emplace_back(name, uniform_clusters(p, {}, {4, /*per_channel=*/true, true}));
      p.copy_(clustered_weights(clusters.back().second));
    }
  }
  const auto nnz = nnz_from_model(model, clusters);
  const auto& fc2 = nnz.tensors[2];
  ASSERT_EQ(fc2.name, "fc2.weight");
  EXPECT_EQ(fc2.kind, NnzTensor::Kind::kRowClustered);
  EXPECT_EQ(fc2.codebook.size(), 100u * 16);
  EXPECT_LT(*std::max_element(fc2.indices.begin(), fc2.indices.end()), 16u);
  const auto bytes = encode_nnz(nnz);
  const auto decoded =
      decode_nnz(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size(), "m.nnz");
  EXPECT_TRUE(torch::equal(nnz_dense(decoded.tensors[2]), clustered_weights(clusters[0].second)));
}

TEST(NnzFormat, EmptyTensorsRoundTrip) {
  // Found by the fuzzer: a tensor with no elements (memcpy from an empty vector's null data).
  NnzModel model;
  model.info = models::create_model("lenet300").info();
  model.tensors = {{"empty", {0, 5}, NnzTensor::Kind::kRaw, {}, {}, {}, 0, {}}};
  const auto bytes = encode_nnz(model);
  const auto decoded =
      decode_nnz(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size(), "e.nnz");
  ASSERT_EQ(decoded.tensors.size(), 1u);
  EXPECT_EQ(nnz_dense(decoded.tensors[0]).sizes(), (torch::IntArrayRef{0, 5}));
}

TEST(NnzFormat, EveryChangedByteAndEveryTruncationIsAnError) {
  torch::manual_seed(1);
  NnzModel small;
  small.info = models::create_model("lenet300").info();
  NnzTensor raw{"a", {3}, NnzTensor::Kind::kRaw, {1.0f, -2.0f, 0.5f}, {}, {}, 0, {}};
  NnzTensor clustered{
      "b", {2, 3}, NnzTensor::Kind::kClustered, {}, {0.25f, -1.0f}, {0, 1, 1, 0, 0, 1}, 0, {}};
  NnzTensor sparse{"c", {40}, NnzTensor::Kind::kSparse, {}, {0.5f, 2.0f}, {}, 3, {}};
  sparse.indices = {0, 2, 1};  // a kept value, a filler, a kept value
  sparse.gaps = {1, 7, 5};     // positions 1, 9, 15
  NnzTensor half{"d", {2}, NnzTensor::Kind::kHalf, {0.5f, -3.0f}, {}, {}, 0, {}};
  NnzTensor rows{
      "e", {2, 2}, NnzTensor::Kind::kRowClustered, {}, {1.0f, 2.0f, 30.0f, 40.0f}, {1, 0, 0, 1},
      0,   {}};
  small.tensors = {raw, clustered, sparse, half, rows};
  const auto bytes = encode_nnz(small);
  const auto* data = reinterpret_cast<const std::uint8_t*>(bytes.data());
  const auto decoded = decode_nnz(data, bytes.size(), "s.nnz");
  EXPECT_TRUE(torch::equal(nnz_dense(decoded.tensors[2]).index({torch::tensor({1, 9, 15})}),
                           torch::tensor({0.5f, 0.0f, 2.0f})));
  EXPECT_TRUE(torch::equal(nnz_dense(decoded.tensors[4]),
                           torch::tensor({2.0f, 1.0f, 30.0f, 40.0f}).view({2, 2})));
  std::string copy = bytes;
  int undetected = 0;
  for (std::size_t i = 0; i < copy.size(); ++i) {
    const char original = copy[i];
    copy[i] = static_cast<char>(original ^ 0x5a);
    try {
      decode_nnz(reinterpret_cast<const std::uint8_t*>(copy.data()), copy.size(), "s.nnz");
      ++undetected;
    } catch (const core::FileError& e) {
      EXPECT_NE(std::string(e.what()).find("s.nnz"), std::string::npos);
    }
    copy[i] = original;
  }
  EXPECT_EQ(undetected, 0) << "of " << copy.size() << " bytes";
  for (std::size_t n = 0; n < bytes.size(); ++n) {
    EXPECT_THROW(decode_nnz(data, n, "s.nnz"), core::FileError) << n;
  }
}

TEST(NnzFormat, TheMetadataIsDeflatedAndVersion2FilesStillRead) {
  auto [model, nnz] = compressed_lenet(2);
  const auto bytes = encode_nnz(nnz);
  // Header: magic, version; then META: tag, length, payload (JSON length, deflated JSON), CRC.
  std::uint32_t version = 0, length = 0, json_length = 0;
  std::memcpy(&version, bytes.data() + 8, 4);
  ASSERT_EQ(version, 3u);
  ASSERT_EQ(bytes.substr(12, 4), "META");
  std::memcpy(&length, bytes.data() + 16, 4);
  std::memcpy(&json_length, bytes.data() + 20, 4);
  std::string json(json_length, '\0');
  uLongf size = json_length;
  ASSERT_EQ(uncompress(reinterpret_cast<Bytef*>(json.data()), &size,
                       reinterpret_cast<const Bytef*>(bytes.data() + 24), length - 4),
            Z_OK);
  EXPECT_LT(length, json.size());  // deflate pays for its length field
  EXPECT_NE(json.find("lenet300"), std::string::npos);

  // The same model as version 2 wrote it: the JSON as it is.
  std::string v2 = bytes.substr(0, 8);
  const std::uint32_t two = 2, raw_length = static_cast<std::uint32_t>(json.size());
  const auto crc = static_cast<std::uint32_t>(crc32(crc32(0L, Z_NULL, 0),
                                                    reinterpret_cast<const Bytef*>(json.data()),
                                                    static_cast<uInt>(json.size())));
  v2.append(reinterpret_cast<const char*>(&two), 4);
  v2 += "META";
  v2.append(reinterpret_cast<const char*>(&raw_length), 4);
  v2 += json;
  v2.append(reinterpret_cast<const char*>(&crc), 4);
  v2 += bytes.substr(16 + 4 + length + 4);
  const auto old = decode_nnz(reinterpret_cast<const std::uint8_t*>(v2.data()), v2.size(), "2.nnz");
  auto a = models::classifier_from_checkpoint(nnz_to_checkpoint(old), "2.nnz");
  a.eval();
  model.eval();
  const auto x = torch::rand({3, 1, 28, 28});
  EXPECT_TRUE(torch::equal(a(x), model(x)));
  // Version 1 and unknown versions are refused by name.
  std::string v9 = bytes;
  const std::uint32_t nine = 9;
  std::memcpy(v9.data() + 8, &nine, 4);
  try {
    decode_nnz(reinterpret_cast<const std::uint8_t*>(v9.data()), v9.size(), "9.nnz");
    ADD_FAILURE() << "version 9 read";
  } catch (const core::FileError& e) {
    EXPECT_NE(std::string(e.what()).find("version 9"), std::string::npos) << e.what();
  }
}

}  // namespace nnlab::compress
