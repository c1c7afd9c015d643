// Deep Compression in one call, on a tiny lenet300: the file it returns is what its size report
// says (byte for byte, once written), decodes to a model with each layer's kept fraction and at
// most 2^bits shared values, and tests as the report's last stage says; stages shrink; a teacher
// distils; bad options are refused by their fields' names before any work.
#include "nnlab/compress/compression_pipeline.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <filesystem>
#include <fstream>
#include <map>

#include "compress/compress_test_util.h"
#include "nnlab/compress/nnz_model.h"
#include "nnlab/core/error.h"
#include "nnlab/models/checkpoint.h"

namespace nnlab::compress {

namespace {

using testing_util::distinct_values;
using testing_util::tiny_model;
using testing_util::tiny_tuning;

CompressionOptions small_options() {
  CompressionOptions options;
  options.pruning.layer_sparsity = {{"fc1.weight", 0.9}, {"fc2.weight", 0.8}, {"fc3.weight", 0.5}};
  options.pruning.steps = 2;
  options.clustering.fc_bits = 4;
  options.clustering.layer_bits["fc3.weight"] = 5;
  options.cluster_epochs = 1;
  return options;
}

}  // namespace

TEST(CompressPipeline, TheFileIsWhatTheReportSaysAndDecodesToTheCompressedModel) {
  auto model = tiny_model("lenet300");
  const auto tuning = tiny_tuning(1);
  const auto r = compress_pipeline(model, tuning, small_options());

  const auto path = ::testing::TempDir() + "/compress_pipeline.nnz";
  std::ofstream(path, std::ios::binary) << r.bytes;
  EXPECT_EQ(r.sizes.file_bytes, static_cast<double>(std::filesystem::file_size(path)));
  double layer_bytes = 0;
  for (const auto& layer : r.sizes.layers) layer_bytes += layer.bytes;
  EXPECT_DOUBLE_EQ(layer_bytes + r.sizes.rest_bytes, r.sizes.tensor_bytes);

  ASSERT_EQ(r.pruning.steps.size(), 3u);
  ASSERT_EQ(r.sizes.layers.size(), 3u);
  const std::map<std::string, double> kept = {
      {"fc1.weight", 0.1}, {"fc2.weight", 0.2}, {"fc3.weight", 0.5}};
  for (const auto& layer : r.sizes.layers) {
    EXPECT_NEAR(layer.kept_fraction, kept.at(layer.name), 1e-3) << layer.name;
    EXPECT_EQ(layer.weight_bits, layer.name == "fc3.weight" ? 5 : 4) << layer.name;
  }

  const auto decoded_nnz =
      decode_nnz(reinterpret_cast<const std::uint8_t*>(r.bytes.data()), r.bytes.size(), path);
  auto decoded = models::classifier_from_checkpoint(nnz_to_checkpoint(decoded_nnz), path);
  for (const auto& [name, p] : decoded.named_parameters()) {
    if (!kept.count(name)) continue;
    const int bits = name == "fc3.weight" ? 5 : 4;
    EXPECT_LE(distinct_values(p), (std::int64_t{1} << bits) + 1) << name;  // and the zeros
    EXPECT_NEAR(p.ne(0).to(torch::kDouble).mean().item<double>(), kept.at(name), 1e-3) << name;
  }
  EXPECT_DOUBLE_EQ(test_accuracy(decoded, tuning), r.accuracy.nnz);

  const auto stages = compression_stages(r);
  ASSERT_EQ(stages.size(), 5u);
  EXPECT_EQ(stages.front().bytes, r.sizes.float_bytes);
  EXPECT_EQ(stages.back().bytes, r.sizes.file_bytes);
  for (std::size_t i = 1; i < stages.size(); ++i) {
    EXPECT_LE(stages[i].bytes, stages[i - 1].bytes) << stages[i].name;
  }
  EXPECT_GT(stages.back().ratio, 10);
}

TEST(CompressPipeline, DistilsFromATeacherAndRepeatsExactly) {
  auto options = small_options();
  options.pruning.steps = 1;
  options.teacher = tiny_model("lenet300", /*seed=*/5);
  auto a = tiny_model("lenet300");
  auto b = tiny_model("lenet300");
  const auto first = compress_pipeline(a, tiny_tuning(1), options);
  const auto second = compress_pipeline(b, tiny_tuning(1), options);
  EXPECT_EQ(first.bytes, second.bytes);
  // Without the teacher, the fine-tuning differs.
  options.teacher.reset();
  auto c = tiny_model("lenet300");
  EXPECT_NE(compress_pipeline(c, tiny_tuning(1), options).bytes, first.bytes);
}

TEST(CompressPipeline, RefusesBadOptionsByTheirFieldsName) {
  const auto refused = [](CompressionOptions options, const std::string& field) {
    testing_util::expect_option_error([&] { check_compression_options(options); }, field);
  };
  CompressionOptions rest;
  rest.rest = "bfloat16";
  refused(rest, "CompressionOptions.rest");
  CompressionOptions gaps;
  gaps.gap_bits = 17;
  refused(gaps, "CompressionOptions.gap_bits");
  CompressionOptions epochs;
  epochs.cluster_epochs = -1;
  refused(epochs, "CompressionOptions.cluster_epochs");
  CompressionOptions sparsity;
  sparsity.pruning.magnitude.sparsity = 0;
  refused(sparsity, "MagnitudePruningOptions.sparsity");
  CompressionOptions channel;
  channel.pruning.method = "channel";
  refused(channel, "PruneRunOptions.method");
  CompressionOptions bits;
  bits.clustering.conv_bits = 0;
  refused(bits, "ClusterOptions.conv_bits");

  // A weight the model lacks: refused before any training (the model is unchanged).
  auto model = tiny_model("lenet300");
  const auto before = model.named_parameters().front().second.clone();
  auto unknown = small_options();
  unknown.clustering.layer_bits["fc9.weight"] = 4;
  EXPECT_THROW(compress_pipeline(model, tiny_tuning(1), unknown), core::OptionError);
  EXPECT_TRUE(torch::equal(model.named_parameters().front().second, before));
}

}  // namespace nnlab::compress
