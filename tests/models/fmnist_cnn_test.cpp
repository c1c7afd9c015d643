// The Fashion-MNIST CNN: its layout (which filter pruning relies on), size and cost.
#include "nnlab/models/fmnist_cnn.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include "models/model_testing.h"

namespace nnlab::models {
using testing::count_parameters;
using testing::shape_of;

TEST(FmnistCnn, LayoutIsPlainConvBnReluPoolAndLinear) {
  FmnistCnn net;
  EXPECT_EQ(shape_of(*net, "features.0.weight"), (std::vector<std::int64_t>{32, 1, 3, 3}));
  EXPECT_EQ(shape_of(*net, "features.1.running_var"), (std::vector<std::int64_t>{32}));
  EXPECT_EQ(shape_of(*net, "features.3.weight"), (std::vector<std::int64_t>{32, 32, 3, 3}));
  EXPECT_EQ(shape_of(*net, "features.7.weight"), (std::vector<std::int64_t>{64, 32, 3, 3}));
  EXPECT_EQ(shape_of(*net, "features.10.weight"), (std::vector<std::int64_t>{64, 64, 3, 3}));
  EXPECT_EQ(shape_of(*net, "features.11.num_batches_tracked"), (std::vector<std::int64_t>{}));
  EXPECT_TRUE(net->named_buffers().contains("features.11.num_batches_tracked"));
  EXPECT_EQ(shape_of(*net, "classifier.2.weight"), (std::vector<std::int64_t>{256, 64 * 7 * 7}));
  EXPECT_EQ(shape_of(*net, "classifier.5.weight"), (std::vector<std::int64_t>{10, 256}));
  EXPECT_FALSE(net->named_parameters().contains("features.0.bias"));  // BatchNorm has the bias
  // conv 288 + 9,216 + 18,432 + 36,864; BatchNorm 2 * (32 + 32 + 64 + 64);
  // linear 3,136 * 256 + 256 and 256 * 10 + 10.
  EXPECT_EQ(count_parameters(*net), 870826);
}

TEST(FmnistCnn, CostsAboutTwentyMillionMultiplyAddsPerImage) {
  // Run one image layer by layer and count conv and linear multiply-adds as they happen.
  FmnistCnn net;
  net->eval();
  auto x = torch::rand({1, 1, 28, 28});
  std::int64_t macs = 0;
  for (auto sequential : {net->features, net->classifier}) {
    for (auto [name, layer] : sequential->layers()) {
      x = layer.forward(x);
      if (const auto* conv = layer.ptr()->as<torch::nn::Conv2d>()) {
        macs += x.numel() * conv->weight[0].numel();
      } else if (const auto* linear = layer.ptr()->as<torch::nn::Linear>()) {
        macs += linear->weight.numel();
      }
    }
  }
  EXPECT_EQ(x.sizes(), (torch::IntArrayRef{1, 10}));
  EXPECT_GT(macs, 10'000'000);
  EXPECT_LT(macs, 25'000'000);
}

TEST(FmnistCnn, ForwardGivesLogitsAndDropoutOnlyInTraining) {
  torch::manual_seed(0);
  FmnistCnn net;
  const auto x = torch::rand({4, 1, 28, 28});
  net->train();
  EXPECT_EQ(net->forward(x).sizes(), (torch::IntArrayRef{4, 10}));
  EXPECT_FALSE(torch::equal(net->forward(x), net->forward(x)));
  net->eval();
  EXPECT_TRUE(torch::equal(net->forward(x), net->forward(x)));
}

TEST(FmnistCnn, BackwardReachesTheFirstConvolution) {
  FmnistCnn net(/*num_classes=*/3, /*in_channels=*/2);
  const auto logits = net->forward(torch::rand({2, 2, 28, 28}));
  EXPECT_EQ(logits.sizes(), (torch::IntArrayRef{2, 3}));
  torch::nn::functional::cross_entropy(logits, torch::tensor({0, 2})).backward();
  const auto& grad =
      net->features->layers()[0].second.ptr()->as<torch::nn::Conv2d>()->weight.grad();
  ASSERT_TRUE(grad.defined());
  EXPECT_GT(grad.abs().sum().item<double>(), 0);
}

}  // namespace nnlab::models
