// Iterative pruning: the schedules (sparsity per step, MAC targets that end at the target), the
// loop hitting them (each channel step's MACs at most its target, the last magnitude step at the
// final sparsity, each layer at its own), the masks given carried on, remaining_macs by hand, and
// the refusals.
#include "nnlab/compress/iterative_pruning.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <algorithm>

#include "compress/compress_test_util.h"
#include "nnlab/core/error.h"
#include "nnlab/models/summary.h"

namespace nnlab::compress {

namespace {

using testing_util::tiny_model;
using testing_util::tiny_tuning;

}  // namespace

TEST(PruneSchedule, MagnitudeTargetsFollowTheSparsityScheduleToTheEnd) {
  auto model = tiny_model("lenet300");
  PruneRunOptions options;
  options.magnitude.sparsity = 0.8;
  options.steps = 3;
  options.schedule = "equal";
  const auto targets = prune_schedule(model, options);
  ASSERT_EQ(targets.size(), 3u);
  EXPECT_NEAR(targets[0].sparsity, 0.8 / 3, 1e-12);
  EXPECT_NEAR(targets[2].sparsity, 0.8, 1e-12);

  options.layer_sparsity = {{"fc1.weight", 0.9}, {"fc3.weight", 0.3}};
  const auto per_layer = prune_schedule(model, options);
  ASSERT_EQ(per_layer[2].layer_sparsity.size(), 2u);
  EXPECT_NEAR(per_layer[2].layer_sparsity[0].second, 0.9, 1e-12);
  EXPECT_NEAR(per_layer[1].layer_sparsity[1].second, 0.2, 1e-12);
}

TEST(PruneAndFinetune, ChannelStepsHitTheirMacTargets) {
  auto model = tiny_model("cnn");
  const auto base = models::summarize(model).total_macs;
  PruneRunOptions options;
  options.method = "channel";
  options.target_macs = 0.5;
  options.steps = 2;
  options.schedule = "equal";
  options.measure = true;
  options.latency_batch = 2;
  const auto targets = prune_schedule(model, options);
  ASSERT_EQ(targets.size(), 2u);
  EXPECT_EQ(targets[1].macs, static_cast<std::int64_t>(0.5 * static_cast<double>(base)));
  EXPECT_LT(targets[1].macs, targets[0].macs);

  int calls = 0;
  options.on_step = [&](const PruneStep&) { ++calls; };
  const auto result = prune_and_finetune(model, tiny_tuning(0), options);
  EXPECT_EQ(calls, 3);
  ASSERT_EQ(result.steps.size(), 3u);
  EXPECT_EQ(result.steps[0].macs, static_cast<double>(base));
  for (std::size_t i = 1; i < 3; ++i) {
    EXPECT_LE(result.steps[i].macs, static_cast<double>(targets[i - 1].macs)) << i;
  }
  // Near the target, not far below it: the smallest ratio that reaches it.
  EXPECT_GT(result.steps[2].macs, 0.4 * static_cast<double>(base));
  EXPECT_EQ(static_cast<std::int64_t>(result.steps[2].macs), models::summarize(model).total_macs);
  EXPECT_LT(result.steps[2].parameters, result.steps[0].parameters);
}

TEST(PruneAndFinetune, MagnitudeStepsEndAtTheSparsityAndKeepTheMasksThroughTuning) {
  auto model = tiny_model("lenet300");
  PruneRunOptions options;
  options.magnitude.sparsity = 0.75;
  options.steps = 2;
  options.measure = true;
  options.latency_batch = 2;
  const auto result = prune_and_finetune(model, tiny_tuning(1), options);
  ASSERT_EQ(result.steps.size(), 3u);
  EXPECT_EQ(result.steps[0].sparsity, 0.0);
  EXPECT_NEAR(result.steps[2].sparsity, 0.75, 1e-3);
  EXPECT_NEAR(result.steps[2].target.sparsity, 0.75, 1e-12);
  EXPECT_LT(result.steps[2].macs, 0.3 * result.steps[0].macs);
  for (const auto& [name, mask] : result.masks.masks()) {
    for (const auto& [p_name, p] : model.named_parameters()) {
      if (p_name == name) {
        EXPECT_EQ(p.masked_select(mask.eq(0)).count_nonzero().item<std::int64_t>(), 0) << name;
      }
    }
  }

  // Each layer to its own sparsity, on a fresh model given masks that prune its fc3: they are
  // applied first.
  auto other = tiny_model("lenet300", /*seed=*/1);
  PruneRunOptions first;
  first.layer_sparsity = {{"fc3.weight", 0.5}};
  const auto given = prune_and_finetune(other, tiny_tuning(0), first).masks;
  auto per_layer = tiny_model("lenet300");
  PruneRunOptions options2;
  options2.layer_sparsity = {{"fc1.weight", 0.9}, {"fc2.weight", 0.6}};
  options2.steps = 2;
  const auto layered = prune_and_finetune(per_layer, tiny_tuning(0), options2, given);
  const auto fc1 = layered.masks.mask_of("fc1.weight");
  const auto fc2 = layered.masks.mask_of("fc2.weight");
  ASSERT_TRUE(fc1.defined() && fc2.defined());
  EXPECT_NEAR(1 - fc1.mean().item<double>(), 0.9, 1e-3);
  EXPECT_NEAR(1 - fc2.mean().item<double>(), 0.6, 1e-3);
  const auto fc3_mask = given.mask_of("fc3.weight");
  for (const auto& [name, p] : per_layer.named_parameters()) {
    if (name == "fc3.weight") {
      EXPECT_EQ(p.masked_select(fc3_mask.eq(0)).count_nonzero().item<std::int64_t>(), 0);
      EXPECT_GT(p.count_nonzero().item<std::int64_t>(), 0);
    }
  }
}

TEST(RemainingMacs, ScalesEachLayersMacsByItsDensity) {
  auto model = tiny_model("lenet300");
  const auto summary = models::summarize(model);
  models::TensorList masks;
  auto half = torch::ones({300, 784});
  half.slice(0, 0, 150).zero_();
  masks.emplace_back("fc1.weight", half);
  double expected = 0;
  for (const auto& layer : summary.layers) {
    const bool fc1 = std::find(layer.parameter_names.begin(), layer.parameter_names.end(),
                               "fc1.weight") != layer.parameter_names.end();
    expected += static_cast<double>(layer.macs) * (fc1 ? 0.5 : 1.0);
  }
  EXPECT_DOUBLE_EQ(remaining_macs(summary, PruningMasks(masks)), expected);
  EXPECT_DOUBLE_EQ(remaining_macs(summary, {}), static_cast<double>(summary.total_macs));
}

TEST(PruneAndFinetune, RefusesBadOptionsBeforeAnyWork) {
  const auto refused = [](PruneRunOptions options, const std::string& field,
                          PruningMasks masks = {}) {
    auto model = tiny_model("cnn");
    testing_util::expect_option_error(
        [&] { prune_and_finetune(model, tiny_tuning(1), options, masks); }, field);
  };
  PruneRunOptions method;
  method.method = "random";
  refused(method, "PruneRunOptions.method");
  PruneRunOptions steps;
  steps.steps = 0;
  refused(steps, "PruneRunOptions.steps");
  PruneRunOptions sparsity;
  sparsity.magnitude.sparsity = 1.0;
  refused(sparsity, "MagnitudePruningOptions.sparsity");
  PruneRunOptions macs;
  macs.method = "channel";
  macs.target_macs = 1.5;
  refused(macs, "PruneRunOptions.target_macs");
  // Filters of a model with weight masks: refused.
  auto model = tiny_model("cnn");
  MagnitudePruningOptions half;
  const auto masks = magnitude_prune(model, half);
  PruneRunOptions channel;
  channel.method = "channel";
  refused(channel, "PruneRunOptions.method", masks);
}

}  // namespace nnlab::compress
