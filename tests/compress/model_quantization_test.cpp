// Whole-model quantization: k-means with centroid tuning keeps at most 2^bits values per weight
// and reports each stage's accuracy; float16 rounds every tensor as an .nnz stores it; a pruned
// per-channel codebook too large for an .nnz is refused when the result goes to one.
#include "nnlab/compress/model_quantization.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include "compress/compress_test_util.h"
#include "nnlab/compress/magnitude_pruning.h"
#include "nnlab/core/error.h"

namespace nnlab::compress {

using testing_util::distinct_values;
using testing_util::tiny_model;
using testing_util::tiny_tuning;

TEST(QuantizeModel, KMeansKeepsTwoToTheBitsValuesThroughTuning) {
  auto model = tiny_model("lenet300");
  const auto tuning = tiny_tuning(1);
  QuantizationOptions options;
  options.bits = 3;
  const auto r = quantize_model(model, tuning, options);
  ASSERT_EQ(r.clusters.size(), 3u);
  for (const auto& [name, p] : model.named_parameters()) {
    if (p.dim() == 2) {
      EXPECT_LE(distinct_values(p), 8) << name;
    }
  }
  EXPECT_EQ(r.float32_bytes, (784 * 300 + 300 + 300 * 100 + 100 + 100 * 10 + 10) * 4);
  EXPECT_DOUBLE_EQ(r.accuracy_finetuned, test_accuracy(model, tuning));
  EXPECT_NE(r.accuracy_finetuned, r.accuracy_before);
}

TEST(QuantizeModel, Float16RoundsEveryTensor) {
  auto model = tiny_model("lenet5");
  QuantizationOptions options;
  options.method = "float16";
  const auto r = quantize_model(model, tiny_tuning(0), options);
  EXPECT_TRUE(r.clusters.empty());
  for (const auto& [name, p] : model.named_parameters()) {
    EXPECT_TRUE(torch::equal(p, p.to(torch::kHalf).to(torch::kFloat))) << name;
  }
  EXPECT_EQ(r.accuracy_finetuned, r.accuracy_quantized);
}

TEST(QuantizeModel, RefusesWhatAnNnzCannotHoldAndBadOptions) {
  auto model = tiny_model("lenet300");
  MagnitudePruningOptions pruning;
  pruning.sparsity = 0.5;
  const auto masks = magnitude_prune(model, pruning);
  QuantizationOptions per_channel;
  per_channel.method = "uniform";
  per_channel.bits = 8;
  per_channel.per_channel = true;  // fc1: 300 channels x 256 levels > 32768
  per_channel.for_nnz = true;
  testing_util::expect_option_error(
      [&] { quantize_model(model, tiny_tuning(0), per_channel, masks); },
      "QuantizationOptions.per_channel");
  per_channel.for_nnz = false;  // a checkpoint holds it
  EXPECT_NO_THROW(quantize_model(model, tiny_tuning(0), per_channel, masks));

  QuantizationOptions bits;
  bits.method = "uniform";
  bits.bits = 1;
  testing_util::expect_option_error([&] { quantize_model(model, tiny_tuning(0), bits); },
                                    "QuantizationOptions.bits");
  QuantizationOptions method;
  method.method = "int4";
  EXPECT_THROW(quantize_model(model, tiny_tuning(0), method), core::OptionError);
}

}  // namespace nnlab::compress
