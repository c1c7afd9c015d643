// The depthwise-separable arithmetic by hand (the lecture's 3x3 convolution from 2 to 4
// channels) and the savings listed for a model's convolutions.
#include "nnlab/models/depthwise_savings.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

namespace nnlab::models {

TEST(DepthwiseSavings, Arithmetic) {
  // 3x3 from 2 to 4 channels: 3*3*2*4 = 72 weights; depthwise 3*3*2 = 18 plus pointwise 2*4 = 8.
  EXPECT_EQ(conv_params(3, 2, 4), 72);
  EXPECT_EQ(conv_params(3, 2, 4, /*bias=*/true), 76);
  EXPECT_EQ(depthwise_separable_params(3, 2, 4), 26);
  EXPECT_EQ(depthwise_separable_params(3, 2, 4, /*bias=*/true), 26 + 2 + 4);
  EXPECT_NEAR(depthwise_separable_ratio(3, 2, 4), 26.0 / 72.0, 1e-12);
  EXPECT_NEAR(depthwise_separable_ratio(3, 2, 4), 1.0 / 4 + 1.0 / 9, 1e-12);
  EXPECT_NEAR(depthwise_separable_ratio(3, 512, 512),
              static_cast<double>(depthwise_separable_params(3, 512, 512)) /
                  static_cast<double>(conv_params(3, 512, 512)),
              1e-12);
  EXPECT_THROW(conv_params(0, 2, 4), c10::Error);
  EXPECT_THROW(depthwise_separable_params(3, -2, 4), c10::Error);
  EXPECT_THROW(depthwise_separable_ratio(3, 2, 0), c10::Error);
}

// The lecture's example: a 3x3 convolution from 2 to 4 channels, then a 1x1 one.
struct StandardConvImpl : torch::nn::Module {
  StandardConvImpl()
      : conv(register_module("conv",
                             torch::nn::Conv2d(torch::nn::Conv2dOptions(2, 4, 3).bias(false)))),
        mix(register_module("mix", torch::nn::Conv2d(torch::nn::Conv2dOptions(4, 4, 1)))) {}
  torch::Tensor forward(torch::Tensor x) { return mix->forward(conv->forward(x)); }
  torch::nn::Conv2d conv, mix;
};
TORCH_MODULE(StandardConv);

TEST(DepthwiseSavings, OfEachConvolution) {
  // 72 weights; in depthwise-separable form 3*3*2 + 2*4 = 26.
  StandardConv net;
  ModelInfo info;
  info.arch = "toy";
  info.in_channels = 2;
  Classifier model(torch::nn::AnyModule(net), info);
  const auto savings = depthwise_separable_savings(model);
  ASSERT_EQ(savings.size(), 1u);  // the 1x1 convolution has nothing to gain
  EXPECT_EQ(savings[0].name, "conv");
  EXPECT_EQ(savings[0].params, 72);
  EXPECT_EQ(savings[0].separable_params, 26);
  EXPECT_NEAR(savings[0].ratio, 1.0 / 4 + 1.0 / 9, 1e-12);
}

}  // namespace nnlab::models
