#include "nnlab/compress/magnitude_pruning.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include "nnlab/core/error.h"
#include "nnlab/models/checkpoint.h"
#include "nnlab/models/registry.h"
#include "nnlab/train/evaluate.h"
#include "nnlab/train/trainer.h"

namespace nnlab::compress {

namespace {

models::Classifier lenet300(int seed = 0) {
  torch::manual_seed(seed);
  return models::create_model("lenet300", {/*num_classes=*/3, 0});
}

// A separable 3-class problem of 28x28 images (a bright band per class).
data::TrainTestSplit bands(std::int64_t n) {
  torch::manual_seed(5);
  data::Dataset d;
  d.labels = torch::randint(0, 3, {n}, torch::kLong);
  d.images = torch::rand({n, 1, 28, 28}) * 0.3;
  for (std::int64_t i = 0; i < n; ++i) {
    const auto k = d.labels[i].item<std::int64_t>();
    d.images[i].slice(1, 9 * k, 9 * k + 9) += 0.5;
  }
  return {d, d.head(n / 4)};
}

std::int64_t zeros_of(const models::Classifier& model, const std::string& name) {
  for (const auto& [key, tensor] : model.named_parameters()) {
    if (key == name) return tensor.numel() - tensor.count_nonzero().item<std::int64_t>();
  }
  return -1;
}

}  // namespace

TEST(MagnitudePruning, PrunableWeightsAreLinearAndConvWeights) {
  auto lenet5 = models::create_model("lenet5");
  EXPECT_EQ(prunable_weights(lenet5),
            (std::vector<std::string>{"conv1.weight", "conv2.weight", "fc1.weight", "fc2.weight",
                                      "fc3.weight"}));
}

TEST(MagnitudePruning, GlobalThresholdRemovesTheSmallestWeightsOverAllLayers) {
  auto model = lenet300();
  MagnitudePruningOptions options;
  options.sparsity = 0.9;
  const auto masks = magnitude_prune(model, options);
  ASSERT_EQ(masks.masks().size(), 3u);
  // Exactly round(0.9 n) weights go, and every kept |w| is >= every pruned |w|.
  std::int64_t n = 0, pruned = 0;
  double largest_pruned = 0, smallest_kept = 1e9;
  for (const auto& [name, tensor] : model.named_parameters()) {
    const auto mask = masks.mask_of(name);
    if (!mask.defined()) continue;
    n += tensor.numel();
    pruned += tensor.numel() - mask.count_nonzero().item<std::int64_t>();
    const auto magnitude = tensor.detach().abs();
    if (mask.eq(0).any().item<bool>())
      largest_pruned =
          std::max(largest_pruned, magnitude.masked_select(mask.eq(0)).max().item<double>());
    smallest_kept =
        std::min(smallest_kept, magnitude.masked_select(mask.eq(1)).min().item<double>());
  }
  EXPECT_EQ(pruned, std::llround(0.9 * static_cast<double>(n)));
  EXPECT_LE(largest_pruned, smallest_kept);
  // Global: the layers end up with different sparsities.
  const auto stats = masks.stats(model);
  EXPECT_NEAR(stats.sparsity(), 0.9, 1e-5);
  EXPECT_NE(masks.mask_of("fc1.weight").mean().item<double>(),
            masks.mask_of("fc3.weight").mean().item<double>());
}

TEST(MagnitudePruning, LayerScopePrunesEachTensorByTheSameRatio) {
  auto model = lenet300();
  MagnitudePruningOptions options;
  options.sparsity = 0.5;
  options.scope = "layer";
  options.layers = {"fc1", "fc3.weight"};
  const auto masks = magnitude_prune(model, options);
  ASSERT_EQ(masks.masks().size(), 2u);
  EXPECT_FALSE(masks.mask_of("fc2.weight").defined());
  EXPECT_DOUBLE_EQ(masks.mask_of("fc1.weight").mean().item<double>(), 0.5);
  EXPECT_DOUBLE_EQ(masks.mask_of("fc3.weight").mean().item<double>(), 0.5);
}

TEST(MagnitudePruning, PerLayerRatiosPruneEachLayerByItsOwn) {
  auto model = lenet300();
  const auto masks =
      magnitude_prune_per_layer(model, {{"fc1", 0.92}, {"fc2.weight", 0.75}, {"fc3", 0}});
  ASSERT_EQ(masks.masks().size(), 2u);  // fc3 stays dense
  EXPECT_NEAR(masks.mask_of("fc1.weight").mean().item<double>(), 0.08, 1e-6);
  EXPECT_NEAR(masks.mask_of("fc2.weight").mean().item<double>(), 0.25, 1e-6);
  EXPECT_FALSE(masks.mask_of("fc3.weight").defined());
  EXPECT_THROW(magnitude_prune_per_layer(model, {{"fc1", 1.0}}), core::OptionError);
  EXPECT_THROW(magnitude_prune_per_layer(model, {{"fc9", 0.5}}), core::OptionError);
  EXPECT_THROW(magnitude_prune_per_layer(model, {{"fc1", 0.5}, {"fc1.weight", 0.6}}),
               core::OptionError);
}

TEST(MagnitudePruning, L1AndL2ScoresRankAlike) {
  auto model = lenet300();
  MagnitudePruningOptions l1, l2;
  l1.sparsity = l2.sparsity = 0.7;
  l2.score = "l2";
  const auto a = magnitude_prune(model, l1), b = magnitude_prune(model, l2);
  for (size_t i = 0; i < a.masks().size(); ++i) {
    EXPECT_TRUE(torch::equal(a.masks()[i].second, b.masks()[i].second));
  }
}

TEST(MagnitudePruning, MasksSurviveFineTuningAndGrowIteratively) {
  auto model = lenet300();
  const auto data = bands(256);
  MagnitudePruningOptions options;
  PruningMasks previous;
  for (const double sparsity : sparsity_schedule(0.9, 3, "agp")) {
    options.sparsity = sparsity;
    const auto masks = magnitude_prune(model, options);
    masks.apply(model);
    train::TrainOptions finetune;
    finetune.epochs = 1;
    finetune.progress = false;
    finetune.weight_decay = 1e-3;  // Adam with decay would revive pruned weights without the hooks
    train::Trainer(model, finetune, masks.hooks()).fit(data);
    EXPECT_NEAR(masks.stats(model).sparsity(), sparsity, 1e-5);
    EXPECT_EQ(zeros_of(model, "fc1.weight"),
              masks.mask_of("fc1.weight").eq(0).sum().item<std::int64_t>());
    if (!previous.empty()) {
      // Every weight pruned before is still pruned.
      for (const auto& [name, mask] : previous.masks()) {
        EXPECT_TRUE(mask.eq(0).logical_and(masks.mask_of(name).eq(1)).any().item<bool>() == false);
      }
    }
    previous = masks;
  }
  EXPECT_GT(train::evaluate(model, data.test, {64, false, "t"}).accuracy, 0.9);
}

TEST(MagnitudePruning, Schedules) {
  const auto equal = sparsity_schedule(0.8, 4, "equal");
  ASSERT_EQ(equal.size(), 4u);
  EXPECT_DOUBLE_EQ(equal[0], 0.2);
  EXPECT_DOUBLE_EQ(equal[3], 0.8);
  const auto agp = sparsity_schedule(0.8, 4, "agp");
  EXPECT_DOUBLE_EQ(agp[0], 0.8 * (1 - 0.75 * 0.75 * 0.75));  // fast first, slow last
  EXPECT_DOUBLE_EQ(agp[3], 0.8);
  EXPECT_GT(agp[0], equal[0]);
  EXPECT_THROW(sparsity_schedule(0.8, 0, "agp"), core::OptionError);
  EXPECT_THROW(sparsity_schedule(0.8, 2, "cubic"), core::OptionError);
}

TEST(MagnitudePruning, RejectsBadOptions) {
  auto model = lenet300();
  MagnitudePruningOptions bad;
  for (const double ratio : {0.0, 1.0, 1.5, -0.1}) {
    bad.sparsity = ratio;
    EXPECT_THROW(magnitude_prune(model, bad), core::OptionError);
  }
  bad = {};
  bad.layers = {"fc9"};
  try {
    magnitude_prune(model, bad);
    FAIL() << "no error for a missing layer";
  } catch (const core::OptionError& e) {
    EXPECT_NE(std::string(e.what()).find("fc9"), std::string::npos);
  }
  bad = {};
  bad.scope = "row";
  EXPECT_THROW(magnitude_prune(model, bad), core::OptionError);
}

TEST(PruningMasks, TravelWithTheCheckpoint) {
  auto model = lenet300();
  MagnitudePruningOptions options;
  options.sparsity = 0.6;
  const auto masks = magnitude_prune(model, options);
  masks.apply(model);
  auto checkpoint = models::make_checkpoint(model);
  masks.to_checkpoint(checkpoint);
  const auto path = ::testing::TempDir() + "/pruned.ckpt";
  models::save_checkpoint(path, checkpoint);
  const auto back = PruningMasks::from_checkpoint(models::read_checkpoint(path));
  ASSERT_EQ(back.masks().size(), masks.masks().size());
  for (size_t i = 0; i < masks.masks().size(); ++i) {
    EXPECT_EQ(back.masks()[i].first, masks.masks()[i].first);
    EXPECT_TRUE(torch::equal(back.masks()[i].second.to(torch::kFloat), masks.masks()[i].second));
  }
  // A mask that does not fit the model is refused.
  auto other = models::create_model("lenet5");
  EXPECT_THROW(back.apply(other), std::invalid_argument);
}

}  // namespace nnlab::compress
