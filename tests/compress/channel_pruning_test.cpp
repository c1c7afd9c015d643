// Structured (filter / neuron) pruning: the groups found, the channels chosen, the model that
// comes out (smaller, still computing the same function on the kept channels), and reloading.
#include "nnlab/compress/channel_pruning.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <map>

#include "nnlab/core/error.h"
#include "nnlab/models/checkpoint.h"
#include "nnlab/models/registry.h"
#include "nnlab/models/summary.h"

namespace nnlab::compress {

namespace {

models::Classifier model_of(const std::string& arch, int seed = 0) {
  torch::manual_seed(seed);
  auto model = models::create_model(arch);
  model.eval();
  return model;
}

std::map<std::string, std::vector<std::int64_t>> shapes(const models::Classifier& model) {
  std::map<std::string, std::vector<std::int64_t>> out;
  for (const auto& [name, t] : model.named_parameters()) out[name] = t.sizes().vec();
  for (const auto& [name, t] : model.named_buffers()) out[name] = t.sizes().vec();
  return out;
}

models::Classifier reload(const models::Classifier& model, const std::string& name) {
  const std::string path = ::testing::TempDir() + "/" + name;
  models::save_checkpoint(path, models::make_checkpoint(model));
  auto out = models::classifier_from_checkpoint(models::read_checkpoint(path), path);
  out.eval();
  return out;
}

}  // namespace

TEST(ChannelPruning, FindsTheChainGroupsOfTheCnn) {
  auto model = model_of("cnn");
  const auto groups = channel_groups(model);
  ASSERT_EQ(groups.size(), 5u);  // four convolutions and the hidden Linear; not the output
  EXPECT_EQ(groups[0].name, "features.0");
  EXPECT_EQ(groups[0].followers, (std::vector<std::string>{"features.1"}));
  EXPECT_EQ(groups[0].consumers[0].layer, "features.3");
  EXPECT_EQ(groups[3].name, "features.10");
  EXPECT_EQ(groups[3].consumers[0].layer, "classifier.2");
  EXPECT_EQ(groups[3].consumers[0].spatial, 49);  // 64 x 7 x 7 flattened
  EXPECT_EQ(groups[4].name, "classifier.2");
  EXPECT_EQ(groups[4].channels, 256);
}

TEST(ChannelPruning, KeepsTheFiltersWithTheLargestNormsAndComputesTheSameOnThem) {
  // lenet5 without its second half: zero the conv1 filters 1 and 4 and their biases, so that
  // their channels are dead; pruning 2 of 6 must remove exactly them and leave the outputs as
  // they were.
  auto model = model_of("lenet5");
  {
    torch::NoGradGuard no_grad;
    auto params = model.module()->named_parameters();
    for (const int dead : {1, 4}) {
      params["conv1.weight"][dead].zero_();
      params["conv1.bias"][dead].fill_(-1);  // ReLU(negative) = 0: the channel is silent
    }
  }
  const auto x = torch::rand({4, 1, 28, 28});
  const auto before = model(x);
  ChannelPruningOptions options;
  options.ratio = 2.0 / 6.0;
  options.layers = {"conv1"};
  const auto report = prune_channels(model, options);
  ASSERT_EQ(report.size(), 1u);
  EXPECT_EQ(report[0].before, 6);
  EXPECT_EQ(report[0].after, 4);
  EXPECT_EQ(shapes(model)["conv1.weight"], (std::vector<std::int64_t>{4, 1, 5, 5}));
  EXPECT_EQ(shapes(model)["conv2.weight"], (std::vector<std::int64_t>{16, 4, 5, 5}));
  EXPECT_TRUE(torch::allclose(model(x), before, 1e-5, 1e-6));
}

TEST(ChannelPruning, CnnShrinksEveryDependentLayerAndReloads) {
  auto model = model_of("cnn");
  const auto macs_before = models::summarize(model).total_macs;
  ChannelPruningOptions options;
  options.ratio = 0.5;
  options.importance = "bn";
  const auto predicted = macs_after_channel_pruning(model, options);
  prune_channels(model, options);
  auto s = shapes(model);
  EXPECT_EQ(s["features.0.weight"], (std::vector<std::int64_t>{16, 1, 3, 3}));
  EXPECT_EQ(s["features.1.running_mean"], (std::vector<std::int64_t>{16}));
  EXPECT_EQ(s["features.3.weight"], (std::vector<std::int64_t>{16, 16, 3, 3}));
  EXPECT_EQ(s["features.10.weight"], (std::vector<std::int64_t>{32, 32, 3, 3}));
  // bn importance prunes the groups with a BatchNorm: the hidden Linear keeps its 256 neurons.
  EXPECT_EQ(s["classifier.2.weight"], (std::vector<std::int64_t>{256, 32 * 49}));
  EXPECT_EQ(s["classifier.5.weight"], (std::vector<std::int64_t>{10, 256}));
  const auto macs_after = models::summarize(model).total_macs;
  EXPECT_EQ(macs_after, predicted);
  EXPECT_LT(macs_after * 3, macs_before);  // about a quarter: both sides of each conv halve
  EXPECT_TRUE(model.info().widths_from_weights);

  const auto x = torch::rand({2, 1, 28, 28});
  const auto reloaded = reload(model, "cnn_pruned.ckpt");
  auto copy = reloaded;
  EXPECT_TRUE(torch::allclose(copy(x), model(x)));
  EXPECT_EQ(shapes(copy), shapes(model));
}

TEST(ChannelPruning, RatioForMacsReachesTheTargetAndNoMore) {
  auto model = model_of("cnn");
  const auto base = models::summarize(model).total_macs;
  ChannelPruningOptions options;
  const double ratio = ratio_for_macs(model, base / 2, options);
  options.ratio = ratio;
  EXPECT_LE(macs_after_channel_pruning(model, options), base / 2);
  options.ratio = ratio - 0.01;
  EXPECT_GT(macs_after_channel_pruning(model, options), base / 2);
}

TEST(ChannelPruning, ResNet18KeepsResidualShapesConsistentAndReloads) {
  auto model = model_of("resnet18");
  const auto params_before = models::summarize(model).total_params;
  const auto groups = channel_groups(model);
  // Per stage: one residual group; per block: one inner group. 4 + 8.
  EXPECT_EQ(groups.size(), 12u);
  ChannelPruningOptions options;
  options.ratio = 0.25;
  prune_channels(model, options);
  auto s = shapes(model);
  // The stem and layer1 share the residual stream: 64 -> 48 everywhere in it.
  EXPECT_EQ(s["conv1.weight"][0], 48);
  EXPECT_EQ(s["layer1.0.conv2.weight"][0], 48);
  EXPECT_EQ(s["layer1.1.conv1.weight"][1], 48);
  EXPECT_EQ(s["layer2.0.downsample.0.weight"], (std::vector<std::int64_t>{96, 48, 1, 1}));
  EXPECT_EQ(s["layer2.1.conv2.weight"][0], 96);
  EXPECT_EQ(s["layer4.1.bn2.running_var"], (std::vector<std::int64_t>{384}));
  EXPECT_EQ(s["fc.weight"], (std::vector<std::int64_t>{1000, 384}));
  const auto x = torch::rand({1, 3, 64, 64});
  const auto logits = model(x);
  EXPECT_EQ(logits.sizes(), (torch::IntArrayRef{1, 1000}));
  EXPECT_LT(models::summarize(model).total_params, params_before * 0.65);

  auto copy = reload(model, "resnet18_pruned.ckpt");
  EXPECT_TRUE(torch::allclose(copy(x), logits, 1e-4, 1e-5));
}

TEST(ChannelPruning, MobileNetDepthwiseLayersFollowTheirChannels) {
  auto model = model_of("mobilenet-0.5");
  ChannelPruningOptions options;
  options.ratio = 0.5;
  prune_channels(model, options);
  auto s = shapes(model);
  EXPECT_EQ(s["features.0.weight"][0], 8);
  EXPECT_EQ(s["features.3.weight"], (std::vector<std::int64_t>{8, 1, 3, 3}));  // depthwise
  EXPECT_EQ(s["features.6.weight"], (std::vector<std::int64_t>{16, 8, 1, 1}));
  EXPECT_EQ(model(torch::rand({2, 1, 28, 28})).sizes(), (torch::IntArrayRef{2, 10}));
}

TEST(ChannelPruning, BadInput) {
  auto model = model_of("cnn");
  ChannelPruningOptions options;
  for (const double ratio : {0.0, 1.0, -0.2, 1.5}) {
    options.ratio = ratio;
    EXPECT_THROW(prune_channels(model, options), core::OptionError) << ratio;
  }
  options.ratio = 0.5;
  options.layers = {"features.99"};
  EXPECT_THROW(prune_channels(model, options), core::OptionError);
  options.layers = {};
  options.importance = "l7";
  EXPECT_THROW(prune_channels(model, options), core::OptionError);
  auto lenet = model_of("lenet300");
  options.importance = "bn";  // no BatchNorm in LeNet
  EXPECT_THROW(prune_channels(lenet, options), core::OptionError);
  auto densenet = model_of("densenet121");
  EXPECT_THROW(channel_groups(densenet), core::OptionError);  // concatenations
}

}  // namespace nnlab::compress
