// Depthwise-separable conversion: which layers, their parameters, the converted model and its
// checkpoint.
#include "nnlab/compress/depthwise_conversion.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include "nnlab/core/error.h"
#include "nnlab/models/checkpoint.h"
#include "nnlab/models/registry.h"
#include "nnlab/models/summary.h"

namespace nnlab::compress {

TEST(DepthwiseConversion, ConvertsEveryStandardConvolutionOfTheCnnButTheFirst) {
  torch::manual_seed(0);
  auto model = models::create_model("cnn");
  // features.0 reads the 1-channel image: kept standard.
  EXPECT_EQ(separable_candidates(model),
            (std::vector<std::string>{"features.3", "features.7", "features.10"}));
  const auto params_before = models::summarize(model).total_params;
  DepthwiseConversionOptions options;
  options.batch_norm = false;
  const auto report = convert_to_depthwise(model, options);
  ASSERT_EQ(report.size(), 3u);
  // 3x3, 32 -> 64: 3*3*32*64 = 18,432 against 3*3*32 + 32*64 = 2,336 (ratio 1/64 + 1/9).
  EXPECT_EQ(report[1].params_before, 18432);
  EXPECT_EQ(report[1].params_after, 2336);
  std::int64_t saved = 0;
  for (const auto& layer : report) saved += layer.params_before - layer.params_after;
  EXPECT_EQ(models::summarize(model).total_params, params_before - saved);
  EXPECT_TRUE(separable_candidates(model).empty());
  DepthwiseConversionOptions first;
  first.layers = {"features.0"};  // named explicitly, the first convolution converts too
  EXPECT_EQ(convert_to_depthwise(model, first).size(), 1u);
  model.eval();
  const auto x = torch::rand({2, 1, 28, 28});
  EXPECT_EQ(model(x).sizes(), (torch::IntArrayRef{2, 10}));

  const std::string path = ::testing::TempDir() + "/separable.ckpt";
  models::save_checkpoint(path, models::make_checkpoint(model));
  auto copy = models::classifier_from_checkpoint(models::read_checkpoint(path), path);
  copy.eval();
  EXPECT_TRUE(torch::allclose(copy(x), model(x)));
}

TEST(DepthwiseConversion, StrideAndPaddingAreKept) {
  auto model = models::create_model("lenet5");  // conv1 pads 2, conv2 does not
  DepthwiseConversionOptions options;
  options.layers = {"conv2"};
  convert_to_depthwise(model, options);
  EXPECT_EQ(model(torch::rand({1, 1, 28, 28})).sizes(), (torch::IntArrayRef{1, 10}));
}

TEST(DepthwiseConversion, BadInput) {
  auto resnet = models::create_model("resnet18");
  EXPECT_THROW(convert_to_depthwise(resnet, {}), core::OptionError);  // no replaceable conv
  auto cnn = models::create_model("cnn");
  DepthwiseConversionOptions options;
  options.layers = {"features.1"};  // a BatchNorm
  EXPECT_THROW(convert_to_depthwise(cnn, options), core::OptionError);
  options.layers = {"features.42"};
  EXPECT_THROW(convert_to_depthwise(cnn, options), core::OptionError);
}

}  // namespace nnlab::compress
