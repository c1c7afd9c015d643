// DenseNet: torchvision's names, the channel bookkeeping of dense blocks, and the renaming of
// the 2017 checkpoints' keys.
#include "nnlab/models/densenet.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include "models/model_testing.h"

namespace nnlab::models {
using testing::has_key;
using testing::shape_of;

TEST(DenseNet, Densenet121KeysMatchTorchvision) {
  auto net = densenet121();
  EXPECT_EQ(shape_of(*net, "features.conv0.weight"), (std::vector<std::int64_t>{64, 3, 7, 7}));
  EXPECT_TRUE(has_key(*net, "features.norm0.running_mean"));
  EXPECT_EQ(shape_of(*net, "features.denseblock1.denselayer1.norm1.weight"),
            (std::vector<std::int64_t>{64}));
  EXPECT_EQ(shape_of(*net, "features.denseblock1.denselayer1.conv1.weight"),
            (std::vector<std::int64_t>{128, 64, 1, 1}));
  EXPECT_EQ(shape_of(*net, "features.denseblock1.denselayer6.conv2.weight"),
            (std::vector<std::int64_t>{32, 128, 3, 3}));
  EXPECT_EQ(shape_of(*net, "features.denseblock1.denselayer6.norm1.weight"),
            (std::vector<std::int64_t>{64 + 5 * 32}));
  EXPECT_EQ(shape_of(*net, "features.transition1.conv.weight"),
            (std::vector<std::int64_t>{128, 256, 1, 1}));
  EXPECT_TRUE(has_key(*net, "features.denseblock4.denselayer16.norm2.running_var"));
  EXPECT_FALSE(has_key(*net, "features.transition4.conv.weight"));
  EXPECT_TRUE(has_key(*net, "features.norm5.num_batches_tracked"));
  EXPECT_EQ(shape_of(*net, "classifier.weight"), (std::vector<std::int64_t>{1000, 1024}));
}

TEST(DenseNet, Densenet161UsesItsOwnGrowthRate) {
  auto net = densenet161(/*num_classes=*/10);
  EXPECT_EQ(shape_of(*net, "features.conv0.weight"), (std::vector<std::int64_t>{96, 3, 7, 7}));
  EXPECT_EQ(shape_of(*net, "features.denseblock1.denselayer1.conv2.weight"),
            (std::vector<std::int64_t>{48, 192, 3, 3}));
  EXPECT_EQ(shape_of(*net, "classifier.weight"), (std::vector<std::int64_t>{10, 2208}));
}

TEST(DenseNet, BlockConcatenatesEveryLayersOutput) {
  DenseBlock block(/*num_layers=*/3, /*num_input_features=*/8, /*growth_rate=*/4,
                   /*bn_size=*/2, /*drop_rate=*/0);
  block->eval();
  const auto x = torch::rand({2, 8, 5, 5});
  const auto y = block->forward(x);
  EXPECT_EQ(y.sizes(), (torch::IntArrayRef{2, 8 + 3 * 4, 5, 5}));
  EXPECT_TRUE(torch::equal(y.narrow(1, 0, 8), x));  // the input passes through untouched
}

TEST(DenseNet, InitializesLikeTorchvision) {
  torch::manual_seed(0);
  auto net = densenet121(/*num_classes=*/10, /*in_channels=*/1);
  // kaiming-normal, fan_in = 1 * 7 * 7.
  const auto conv0 = net->features[0]->as<torch::nn::Conv2d>();
  ASSERT_NE(conv0, nullptr);
  EXPECT_NEAR(conv0->weight.std().item<double>(), std::sqrt(2.0 / 49), 0.02);
  EXPECT_EQ(net->classifier->bias.abs().sum().item<double>(), 0);
  EXPECT_GT(net->classifier->weight.abs().sum().item<double>(), 0);
  EXPECT_EQ(net->forward(torch::rand({2, 1, 64, 64})).sizes(), (torch::IntArrayRef{2, 10}));
}

TEST(DenseNet, RemapsLegacyKeysAndLeavesOthersAlone) {
  const auto a = torch::zeros({1});
  const auto b = torch::ones({2});
  const TensorList legacy = {
      {"features.denseblock1.denselayer1.norm.1.weight", a},
      {"features.denseblock1.denselayer1.conv.2.weight", b},
      {"features.denseblock4.denselayer16.norm.2.running_var", a},
      {"features.denseblock2.denselayer12.relu.1.bias", a},
      {"module.features.denseblock3.denselayer2.norm.1.running_mean", a},
      {"features.denseblock1.denselayer1.norm1.weight", a},                // already current
      {"features.transition1.norm.weight", a},                             // not in a dense layer
      {"features.denseblock1.denselayer1.norm.3.weight", a},               // no such layer
      {"features.denseblock1.denselayer1.norm.1.num_batches_tracked", a},  // not in 2017 files
      {"classifier.bias", a},
  };
  const auto current = remap_legacy_densenet_keys(legacy);
  const std::vector<std::string> expected = {
      "features.denseblock1.denselayer1.norm1.weight",
      "features.denseblock1.denselayer1.conv2.weight",
      "features.denseblock4.denselayer16.norm2.running_var",
      "features.denseblock2.denselayer12.relu1.bias",
      "module.features.denseblock3.denselayer2.norm1.running_mean",
      "features.denseblock1.denselayer1.norm1.weight",
      "features.transition1.norm.weight",
      "features.denseblock1.denselayer1.norm.3.weight",
      "features.denseblock1.denselayer1.norm.1.num_batches_tracked",
      "classifier.bias",
  };
  ASSERT_EQ(current.size(), expected.size());
  for (std::size_t i = 0; i < expected.size(); ++i) {
    EXPECT_EQ(current[i].first, expected[i]);
    EXPECT_TRUE(current[i].second.is_same(legacy[i].second)) << "tensor " << i << " was replaced";
  }
}

TEST(DenseNet, RemapRecoversEveryKeyOfARenamedModel) {
  auto net = densenet121();
  TensorList legacy;
  std::vector<std::string> names;
  for (const auto& item : net->named_parameters()) {
    names.push_back(item.key());
    auto name = item.key();
    // The inverse renaming: "...denselayer3.norm1.weight" -> "...denselayer3.norm.1.weight".
    const auto layer = name.find("denselayer");
    if (layer != std::string::npos) {
      const auto dot = name.find('.', layer);
      name.insert(dot + 1 + 4, ".");  // norm1 / relu1 / conv1 all have four letters
    }
    legacy.emplace_back(name, item.value());
  }
  const auto current = remap_legacy_densenet_keys(legacy);
  ASSERT_EQ(current.size(), names.size());
  EXPECT_NE(legacy[4].first, names[4]);
  for (std::size_t i = 0; i < names.size(); ++i) {
    EXPECT_EQ(current[i].first, names[i]);
  }
}

}  // namespace nnlab::models
