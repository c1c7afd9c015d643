#include "nnlab/compress/iterative_pruning.h"

#include <torch/torch.h>

#include "nnlab/core/error.h"
#include "nnlab/models/latency.h"
#include "nnlab/models/summary.h"

namespace nnlab::compress {

namespace {

// The MAC target after each channel-pruning step: from target_macs, or else what channels.ratio
// gives, approached on the sparsity schedule of the MACs removed.
std::vector<std::int64_t> mac_targets(models::Classifier& model, const PruneRunOptions& options) {
  const auto base = models::summarize(model).total_macs;
  if (options.target_macs != 0 && !(options.target_macs > 0 && options.target_macs < 1)) {
    throw core::OptionError("PruneRunOptions.target_macs",
                            "must be in (0, 1), got " + std::to_string(options.target_macs));
  }
  const double final_macs =
      options.target_macs > 0
          ? options.target_macs * static_cast<double>(base)
          : static_cast<double>(macs_after_channel_pruning(model, options.channels));
  const auto reductions = sparsity_schedule(1 - final_macs / static_cast<double>(base),
                                            options.steps, options.schedule);
  std::vector<std::int64_t> targets;
  for (const double r : reductions) {
    targets.push_back(static_cast<std::int64_t>((1 - r) * static_cast<double>(base)));
  }
  return targets;
}

// The masks of one magnitude step.
PruningMasks magnitude_step(const models::Classifier& model, const PruneRunOptions& options,
                            const PruneTarget& target) {
  if (!options.layer_sparsity.empty()) {
    return magnitude_prune_per_layer(model, target.layer_sparsity, options.magnitude.score);
  }
  auto pruning = options.magnitude;
  pruning.sparsity = target.sparsity;
  return magnitude_prune(model, pruning);
}

}  // namespace

std::vector<PruneTarget> prune_schedule(models::Classifier& model, const PruneRunOptions& options) {
  if (options.method != "magnitude" && options.method != "channel") {
    throw core::OptionError("PruneRunOptions.method",
                            "magnitude or channel, got '" + options.method + "'");
  }
  if (options.steps < 1) {
    throw core::OptionError("PruneRunOptions.steps",
                            "must be >= 1, got " + std::to_string(options.steps));
  }
  std::vector<PruneTarget> targets(static_cast<std::size_t>(options.steps));
  if (options.method == "channel") {
    const auto macs = mac_targets(model, options);
    for (std::size_t i = 0; i < targets.size(); ++i) targets[i].macs = macs[i];
    return targets;
  }
  if (options.layer_sparsity.empty()) {
    const double sparsity = options.magnitude.sparsity;
    if (!(sparsity > 0 && sparsity < 1)) {
      throw core::OptionError("MagnitudePruningOptions.sparsity",
                              "must be in (0, 1), got " + std::to_string(sparsity));
    }
    const auto schedule = sparsity_schedule(sparsity, options.steps, options.schedule);
    for (std::size_t i = 0; i < targets.size(); ++i) targets[i].sparsity = schedule[i];
  } else {
    for (const auto& [layer, sparsity] : options.layer_sparsity) {
      const auto schedule = sparsity_schedule(sparsity, options.steps, options.schedule);
      for (std::size_t i = 0; i < targets.size(); ++i) {
        targets[i].layer_sparsity.emplace_back(layer, schedule[i]);
      }
    }
  }
  magnitude_step(model, options, targets.front());  // checks the weights before any work
  return targets;
}

double remaining_macs(const models::ModelSummary& summary, const PruningMasks& masks) {
  double total = 0;
  for (const auto& layer : summary.layers) {
    double density = 1;
    for (const auto& name : layer.parameter_names) {
      const auto mask = masks.mask_of(name);
      if (mask.defined()) density = mask.mean().item<double>();
    }
    total += static_cast<double>(layer.macs) * density;
  }
  return total;
}

PruneRunResult prune_and_finetune(models::Classifier& model, const FineTuning& tuning,
                                  const PruneRunOptions& options, PruningMasks masks) {
  if (!masks.empty()) masks.apply(model);
  const bool channel = options.method == "channel";
  if (channel && !masks.empty()) {
    throw core::OptionError("PruneRunOptions.method",
                            "the model holds weight-pruning masks; prune filters of the dense "
                            "model first");
  }
  const auto targets = prune_schedule(model, options);
  models::ModelSummary dense_summary;  // the MACs that masks scale
  if (options.measure && !channel) dense_summary = models::summarize(model);
  models::LatencyOptions latency_options;
  latency_options.batch_size = options.latency_batch;

  PruneRunResult result;
  const auto add_step = [&](int step, PruneTarget target) {
    PruneStep row;
    row.step = step;
    row.target = std::move(target);
    row.test_accuracy = test_accuracy(model, tuning);
    if (options.measure) row.latency_ms = models::measure_latency(model, latency_options).median_ms;
    if (channel) {
      if (options.measure) {
        const auto summary = models::summarize(model);
        row.parameters = summary.total_params;
        row.macs = static_cast<double>(summary.total_macs);
      }
    } else {
      const auto stats = masks.stats(model);
      row.sparsity = stats.sparsity();
      if (options.measure) {
        row.parameters = stats.remaining_parameters();
        row.macs = remaining_macs(dense_summary, masks);
      }
    }
    result.steps.push_back(std::move(row));
    if (options.on_step) options.on_step(result.steps.back());
  };
  add_step(0, {});

  for (int step = 1; step <= options.steps; ++step) {
    const auto& target = targets[static_cast<std::size_t>(step - 1)];
    train::TrainHooks hooks;
    if (channel) {
      auto channels = options.channels;
      channels.ratio = ratio_for_macs(model, target.macs, channels);
      if (channels.ratio > 0) prune_channels(model, channels);
    } else {
      masks = magnitude_step(model, options, target);
      masks.apply(model);
      hooks = masks.hooks();
    }
    fine_tune(model, tuning, step, std::move(hooks));
    add_step(step, target);
  }
  result.masks = std::move(masks);
  return result;
}

}  // namespace nnlab::compress
