// Layers (a Sequential whose layers can be replaced), layer surgery and the MobileNet family.
#include "nnlab/models/layers.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include "models/model_testing.h"
#include "nnlab/models/checkpoint.h"
#include "nnlab/models/layer_surgery.h"
#include "nnlab/models/mobilenet.h"
#include "nnlab/models/registry.h"
#include "nnlab/models/resnet.h"
#include "nnlab/models/summary.h"

namespace nnlab::models {
using testing::count_parameters;
using testing::shape_of;

TEST(Layers, RunsInOrderAndReplacesByName) {
  Layers layers;
  layers->push_back("double", torch::nn::Functional([](torch::Tensor x) { return x * 2; }));
  layers->push_back("inc", torch::nn::Functional([](torch::Tensor x) { return x + 1; }));
  EXPECT_EQ(layers->forward(torch::tensor({3.0})).item<double>(), 7.0);
  layers->replace("double", torch::nn::AnyModule(
                                torch::nn::Functional([](torch::Tensor x) { return x * 10; })));
  EXPECT_EQ(layers->forward(torch::tensor({3.0})).item<double>(), 31.0);
  EXPECT_THROW(layers->replace("missing", torch::nn::AnyModule(torch::nn::Identity())),
               std::invalid_argument);
}

TEST(LayerSurgery, FactorizeReplacesALinearByTwoWithTheGivenRank) {
  auto model = create_model("lenet300");
  apply_edit(*model.module(), {"factorize", "fc1", 32, false});
  EXPECT_EQ(shape_of(*model.module(), "fc1.0.weight"), (std::vector<std::int64_t>{32, 784}));
  EXPECT_EQ(shape_of(*model.module(), "fc1.1.weight"), (std::vector<std::int64_t>{300, 32}));
  EXPECT_EQ(shape_of(*model.module(), "fc1.1.bias"), (std::vector<std::int64_t>{300}));
  EXPECT_FALSE(model.module()->named_parameters().contains("fc1.0.bias"));
  // 266,610 - 784 * 300 + 32 * (784 + 300)
  EXPECT_EQ(count_parameters(*model.module()), 266610 - 235200 + 34688);
  EXPECT_EQ(model(torch::rand({2, 1, 28, 28})).sizes(), (torch::IntArrayRef{2, 10}));
}

TEST(LayerSurgery, SeparateKeepsStrideAndPaddingAndHasTheLectureParameterCount) {
  auto model = create_model("cnn");
  apply_edit(*model.module(), {"separate", "features.3", 0, true});
  // depthwise 3*3*32, BatchNorm 2*32, pointwise 32*32 (no bias, as the original conv).
  EXPECT_EQ(shape_of(*model.module(), "features.3.depthwise.weight"),
            (std::vector<std::int64_t>{32, 1, 3, 3}));
  EXPECT_EQ(shape_of(*model.module(), "features.3.pointwise.weight"),
            (std::vector<std::int64_t>{32, 32, 1, 1}));
  EXPECT_EQ(count_parameters(*model.module()), 870826 - 9216 + (288 + 64 + 1024));
  model.eval();
  EXPECT_EQ(model(torch::rand({2, 1, 28, 28})).sizes(), (torch::IntArrayRef{2, 10}));
}

TEST(LayerSurgery, RefusesWhatItCannotEdit) {
  auto lenet = create_model("lenet300");
  EXPECT_THROW(apply_edit(*lenet.module(), {"factorize", "fc9", 4, false}), std::invalid_argument);
  EXPECT_THROW(apply_edit(*lenet.module(), {"factorize", "fc2", 101, false}),
               std::invalid_argument);  // min(100, 300) = 100
  EXPECT_THROW(apply_edit(*lenet.module(), {"separate", "fc2", 0, false}), std::invalid_argument);
  auto resnet = create_model("resnet18");
  EXPECT_THROW(apply_edit(*resnet.module(), {"separate", "layer1.0.conv1", 0, false}),
               std::invalid_argument);  // the block calls conv1 by name
}

TEST(LayerSurgery, CheckpointsReplayTheEditsAndTheWidths) {
  torch::manual_seed(0);
  auto model = create_model("lenet300");
  const LayerEdit edit{"factorize", "fc1", 16, false};
  apply_edit(*model.module(), edit);
  model.info().edits.push_back(edit);
  // A narrower fc2 (as structured pruning leaves it): 60 neurons, fc3 reads 60.
  {
    torch::NoGradGuard no_grad;
    auto params = model.module()->named_parameters();
    params["fc2.weight"].set_data(params["fc2.weight"].slice(0, 0, 60).clone());
    params["fc2.bias"].set_data(params["fc2.bias"].slice(0, 0, 60).clone());
    params["fc3.weight"].set_data(params["fc3.weight"].slice(1, 0, 60).clone());
  }
  sync_layer_options(*model.module());
  model.info().widths_from_weights = true;
  const auto x = torch::rand({3, 1, 28, 28});
  model.eval();
  const auto expected = model(x);

  const auto reloaded = classifier_from_checkpoint(
      checkpoint_from_tensors(
          [&] {
            const std::string path = ::testing::TempDir() + "/edited.ckpt";
            save_checkpoint(path, make_checkpoint(model));
            return read_pth(path);
          }(),
          "edited.ckpt"),
      "edited.ckpt");
  auto copy = reloaded;
  copy.eval();
  EXPECT_TRUE(torch::allclose(copy(x), expected));
  EXPECT_EQ(copy.info().edits.size(), 1u);
  EXPECT_EQ(copy.module()->named_modules()["fc2"]->as<torch::nn::Linear>()->options.out_features(),
            60);
}

TEST(MobileNet, WidthMultiplierScalesChannelsAndUsesDepthwiseConvolutions) {
  MobileNet full(1.0), half(0.5);
  EXPECT_EQ(shape_of(*full, "features.0.weight"), (std::vector<std::int64_t>{32, 1, 3, 3}));
  EXPECT_EQ(shape_of(*half, "features.0.weight"), (std::vector<std::int64_t>{16, 1, 3, 3}));
  EXPECT_EQ(shape_of(*full, "features.3.weight"), (std::vector<std::int64_t>{32, 1, 3, 3}));
  EXPECT_EQ(shape_of(*full, "features.6.weight"), (std::vector<std::int64_t>{64, 32, 1, 1}));
  EXPECT_EQ(shape_of(*full, "classifier.2.weight"), (std::vector<std::int64_t>{10, 256}));
  EXPECT_EQ(scaled_channels(256, 0.25), 64);
  // The lecture's design goal: a depthwise-separable network with under a fifth of the cnn's
  // parameters (136,202 against 870,826) and fewer multiply-adds.
  auto mobilenet = create_model("mobilenet");
  auto cnn = create_model("cnn");
  EXPECT_LT(summarize(mobilenet).total_params * 5, summarize(cnn).total_params);
  EXPECT_LT(summarize(mobilenet).total_macs, summarize(cnn).total_macs);
}

}  // namespace nnlab::models
