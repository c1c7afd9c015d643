// VGG: torchvision's layer indices (so its checkpoints load) and its initialization.
#include "nnlab/models/vgg.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include "models/model_testing.h"

namespace nnlab::models {
using testing::has_key;
using testing::shape_of;

TEST(VGG, Vgg16KeysMatchTorchvision) {
  auto net = vgg16();
  EXPECT_EQ(shape_of(*net, "features.0.weight"), (std::vector<std::int64_t>{64, 3, 3, 3}));
  EXPECT_EQ(shape_of(*net, "features.28.weight"), (std::vector<std::int64_t>{512, 512, 3, 3}));
  EXPECT_FALSE(has_key(*net, "features.30.weight"));
  EXPECT_EQ(shape_of(*net, "classifier.0.weight"), (std::vector<std::int64_t>{4096, 25088}));
  EXPECT_EQ(shape_of(*net, "classifier.3.weight"), (std::vector<std::int64_t>{4096, 4096}));
  EXPECT_EQ(shape_of(*net, "classifier.6.bias"), (std::vector<std::int64_t>{1000}));
  EXPECT_EQ(net->features->size(), 31u);
  EXPECT_EQ(net->classifier->size(), 7u);
}

TEST(VGG, BatchNormVariantShiftsIndicesLikeTorchvision) {
  auto net = vgg16_bn(/*num_classes=*/10);
  EXPECT_EQ(shape_of(*net, "features.1.running_mean"), (std::vector<std::int64_t>{64}));
  EXPECT_EQ(shape_of(*net, "features.40.weight"), (std::vector<std::int64_t>{512, 512, 3, 3}));
  EXPECT_TRUE(has_key(*net, "features.41.num_batches_tracked"));
  EXPECT_EQ(shape_of(*net, "classifier.6.weight"), (std::vector<std::int64_t>{10, 4096}));
}

TEST(VGG, InitializesLikeTorchvision) {
  torch::manual_seed(0);
  auto net = vgg11_bn();
  const auto conv = net->features[0]->as<torch::nn::Conv2d>();
  ASSERT_NE(conv, nullptr);
  EXPECT_EQ(conv->bias.abs().sum().item<double>(), 0);
  // kaiming-normal, fan_out = 64 * 3 * 3: std = sqrt(2 / 576).
  EXPECT_NEAR(conv->weight.std().item<double>(), std::sqrt(2.0 / 576), 0.01);
  const auto bn = net->features[1]->as<torch::nn::BatchNorm2d>();
  ASSERT_NE(bn, nullptr);
  EXPECT_TRUE(torch::equal(bn->weight, torch::ones_like(bn->weight)));
  const auto linear = net->classifier[0]->as<torch::nn::Linear>();
  ASSERT_NE(linear, nullptr);
  EXPECT_NEAR(linear->weight.std().item<double>(), 0.01, 1e-4);
  EXPECT_EQ(linear->bias.abs().sum().item<double>(), 0);
}

TEST(VGG, EvalIsDeterministicAndHonoursOverrides) {
  torch::manual_seed(0);
  auto net = vgg11(/*num_classes=*/5, /*in_channels=*/1);
  const auto x = torch::rand({2, 1, 32, 32});
  net->eval();
  EXPECT_TRUE(torch::equal(net->forward(x), net->forward(x)));
  EXPECT_EQ(net->forward(x).sizes(), (torch::IntArrayRef{2, 5}));
}

}  // namespace nnlab::models
