// An .nnz file whose decoded values hold a NaN or an infinity is refused with one line naming
// the file and the tensor, though its framing and CRCs are intact.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <limits>

#include "nnlab/compress/nnz_format.h"
#include "nnlab/compress/nnz_model.h"
#include "nnlab/core/error.h"
#include "nnlab/models/registry.h"

namespace nnlab::compress {
namespace {

NnzModel lenet_nnz() {
  torch::manual_seed(1);
  auto model = models::create_model("lenet300");
  torch::NoGradGuard no_grad;
  std::vector<std::pair<std::string, ClusteredTensor>> clusters;
  for (const auto& [name, p] : model.named_parameters()) {
    if (name == "fc2.weight") clusters.emplace_back(name, kmeans_cluster(p, {}, {3, 10}));
  }
  return nnz_from_model(model, clusters);
}

std::string decode_error(const NnzModel& model) {
  const auto bytes = encode_nnz(model);
  try {
    decode_nnz(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size(), "m.nnz");
  } catch (const core::FileError& e) {
    return e.what();
  }
  return "";
}

TEST(NnzFinite, AHealthyModelDecodes) {
  EXPECT_EQ(decode_error(lenet_nnz()), "");
}

TEST(NnzFinite, ANanRawValueIsRefused) {
  auto model = lenet_nnz();
  for (auto& t : model.tensors) {
    if (t.name == "fc3.bias") t.raw.at(2) = std::numeric_limits<float>::quiet_NaN();
  }
  const auto e = decode_error(model);
  EXPECT_NE(e.find("m.nnz: tensor 'fc3.bias' holds 1 NaN value(s)"), std::string::npos) << e;
}

TEST(NnzFinite, AnInfiniteCentroidIsRefused) {
  auto model = lenet_nnz();
  for (auto& t : model.tensors) {
    if (t.name == "fc2.weight") {
      ASSERT_EQ(t.kind, NnzTensor::Kind::kClustered);
      t.codebook.at(0) = -std::numeric_limits<float>::infinity();
    }
  }
  const auto e = decode_error(model);
  EXPECT_NE(e.find("m.nnz: tensor 'fc2.weight' holds 1 infinite value(s)"), std::string::npos) << e;
}

}  // namespace
}  // namespace nnlab::compress
