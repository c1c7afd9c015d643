// ResNet: torchvision's names (blocks, downsample shortcuts), v1.5 strides and initialization.
#include "nnlab/models/resnet.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include "models/model_testing.h"

namespace nnlab::models {
using testing::has_key;
using testing::shape_of;

TEST(ResNet, Resnet50KeysMatchTorchvision) {
  auto net = resnet50();
  EXPECT_EQ(shape_of(*net, "conv1.weight"), (std::vector<std::int64_t>{64, 3, 7, 7}));
  EXPECT_TRUE(has_key(*net, "bn1.num_batches_tracked"));
  EXPECT_EQ(shape_of(*net, "layer1.0.conv3.weight"), (std::vector<std::int64_t>{256, 64, 1, 1}));
  EXPECT_EQ(shape_of(*net, "layer1.0.downsample.0.weight"),
            (std::vector<std::int64_t>{256, 64, 1, 1}));
  EXPECT_EQ(shape_of(*net, "layer1.0.downsample.1.running_var"), (std::vector<std::int64_t>{256}));
  EXPECT_FALSE(has_key(*net, "layer1.1.downsample.0.weight"));
  EXPECT_EQ(shape_of(*net, "layer3.5.bn3.weight"), (std::vector<std::int64_t>{1024}));
  EXPECT_FALSE(has_key(*net, "layer3.6.conv1.weight"));
  EXPECT_EQ(shape_of(*net, "fc.weight"), (std::vector<std::int64_t>{1000, 2048}));
  EXPECT_FALSE(has_key(*net, "conv1.bias"));
}

TEST(ResNet, Resnet18UsesBasicBlocksAndProjectsOnlyWhenTheShapeChanges) {
  auto net = resnet18();
  EXPECT_EQ(shape_of(*net, "layer1.0.conv2.weight"), (std::vector<std::int64_t>{64, 64, 3, 3}));
  EXPECT_FALSE(has_key(*net, "layer1.0.downsample.0.weight"));
  EXPECT_FALSE(has_key(*net, "layer1.0.conv3.weight"));
  EXPECT_EQ(shape_of(*net, "layer2.0.downsample.0.weight"),
            (std::vector<std::int64_t>{128, 64, 1, 1}));
  EXPECT_EQ(shape_of(*net, "fc.weight"), (std::vector<std::int64_t>{1000, 512}));
}

TEST(ResNet, BottleneckStridesOnItsThreeByThreeConvolution) {
  auto net = resnet50();
  const auto& block = net->layer2[0]->as<BottleneckImpl>();
  ASSERT_NE(block, nullptr);
  EXPECT_EQ(block->conv1->options.stride()->at(0), 1);
  EXPECT_EQ(block->conv2->options.stride()->at(0), 2);
  // 64x64 -> conv1 /2 -> maxpool /2 -> layer2..4 /8: 2x2 before the global pool.
  net->eval();
  torch::NoGradGuard no_grad;
  auto x = net->maxpool(net->relu(net->bn1(net->conv1(torch::rand({1, 3, 64, 64})))));
  for (auto layer : {net->layer1, net->layer2, net->layer3, net->layer4}) {
    x = layer->forward(x);
  }
  EXPECT_EQ(x.sizes(), (torch::IntArrayRef{1, 2048, 2, 2}));
}

TEST(ResNet, InitializesLikeTorchvision) {
  torch::manual_seed(0);
  auto net = resnet18(/*num_classes=*/10, /*in_channels=*/1);
  // kaiming-normal, fan_out = 64 * 7 * 7.
  EXPECT_NEAR(net->conv1->weight.std().item<double>(), std::sqrt(2.0 / (64 * 49)), 0.005);
  EXPECT_TRUE(torch::equal(net->bn1->weight, torch::ones({64})));
  EXPECT_TRUE(torch::equal(net->bn1->bias, torch::zeros({64})));
  EXPECT_EQ(net->forward(torch::rand({2, 1, 64, 64})).sizes(), (torch::IntArrayRef{2, 10}));
}

}  // namespace nnlab::models
