// nnlab prune: iterative pruning with fine-tuning between steps, one row per step (sparsity or
// parameters, MACs, accuracy, measured latency).
//   default       magnitude (unstructured) pruning; the masks are saved with the checkpoint, so
//                 later fine-tuning keeps them; MACs are those of the remaining weights.
//   --structured  whole filters and neurons removed (compress/channel_pruning), each step to a
//                 MAC target; the result is a smaller dense model.
#include <torch/torch.h>

#include <map>
#include <sstream>

#include "commands/commands.h"
#include "compression_flags.h"
#include "flag_domains.h"
#include "model_flags.h"
#include "nnlab/compress/channel_pruning.h"
#include "nnlab/compress/magnitude_pruning.h"
#include "nnlab/core/atomic_file.h"
#include "nnlab/core/error.h"
#include "nnlab/data/data_spec.h"
#include "nnlab/models/checkpoint.h"
#include "nnlab/models/latency.h"
#include "nnlab/models/model_loader.h"
#include "nnlab/models/summary.h"
#include "nnlab/report/html.h"
#include "nnlab/report/table.h"
#include "nnlab/train/evaluate.h"
#include "nnlab/train/trainer.h"

namespace nnlab::app {

namespace {

struct PruneOptions {
  CompressionFlags flags;
  compress::MagnitudePruningOptions pruning;
  bool structured = false;
  compress::ChannelPruningOptions channels;
  double target_macs = 0;  // --structured: fraction of the model's MACs to keep
  std::string layers;
  int steps = 1;
  std::string schedule = "agp";
  std::string plot;  // SVG: test accuracy against the MACs left
};

// MACs of the weights that are left: each layer's MACs times the density of its masked weights.
double remaining_macs(const models::ModelSummary& summary, const compress::PruningMasks& masks) {
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

// The MAC target after each step of --structured: from --target-macs, or else what --ratio gives.
std::vector<std::int64_t> structured_targets(models::Classifier& model,
                                             const PruneOptions& options) {
  const auto base = models::summarize(model).total_macs;
  if (options.target_macs != 0 && !(options.target_macs > 0 && options.target_macs < 1)) {
    throw core::OptionError("--target-macs",
                            "must be in (0, 1), got " + std::to_string(options.target_macs));
  }
  const double final_macs =
      options.target_macs > 0
          ? options.target_macs * static_cast<double>(base)
          : static_cast<double>(compress::macs_after_channel_pruning(model, options.channels));
  const auto reductions = compress::sparsity_schedule(1 - final_macs / static_cast<double>(base),
                                                      options.steps, options.schedule);
  std::vector<std::int64_t> targets;
  for (const double r : reductions) {
    targets.push_back(static_cast<std::int64_t>((1 - r) * static_cast<double>(base)));
  }
  return targets;
}

void run_prune(PruneOptions options, const GlobalOptions& global) {
  const core::ExecutionContext context = start(global);
  auto& flags = options.flags;
  if (!options.structured && !(options.pruning.sparsity > 0 && options.pruning.sparsity < 1)) {
    throw core::OptionError("--sparsity",
                            "must be in (0, 1), got " + std::to_string(options.pruning.sparsity));
  }
  std::stringstream layer_list(options.layers);
  for (std::string layer; std::getline(layer_list, layer, ',');) {
    if (layer.empty()) continue;
    (options.structured ? options.channels.layers : options.pruning.layers).push_back(layer);
  }

  auto input = load_for_compression(flags, global, context);
  auto& model = input.model;
  auto masks = compress::PruningMasks::from_checkpoint(input.checkpoint);
  if (!masks.empty()) masks.apply(model);
  std::vector<double> sparsities;
  std::vector<std::int64_t> mac_targets;
  if (options.structured) {  // checks the layers and options before any work
    if (!masks.empty()) {
      throw core::OptionError("--structured", flags.model +
                                                  " holds weight-pruning masks; prune filters of "
                                                  "the dense model first");
    }
    mac_targets = structured_targets(model, options);
  } else {
    sparsities =
        compress::sparsity_schedule(options.pruning.sparsity, options.steps, options.schedule);
    auto probe = options.pruning;
    probe.sparsity = sparsities.front();
    compress::magnitude_prune(model, probe);
  }

  const auto dense_summary = models::summarize(model);
  const std::string latency_column = "latency b" + std::to_string(flags.latency_batch) + " ms";
  report::Table table = options.structured
                            ? report::Table({"step", "params", "MACs", "test acc", latency_column})
                            : report::Table({"step", "sparsity", "params left", "MACs left",
                                             "test acc", latency_column});
  nlohmann::json rows = nlohmann::json::array();
  models::LatencyOptions latency_options;
  latency_options.batch_size = flags.latency_batch;
  auto add_row = [&](int step) {
    const auto accuracy = test_accuracy(model, input, flags);
    const auto latency = models::measure_latency(model, latency_options);
    nlohmann::json row = {
        {"step", step}, {"test_accuracy", accuracy}, {"latency_ms", latency.median_ms}};
    if (options.structured) {
      const auto summary = models::summarize(model);
      row["parameters"] = summary.total_params;
      row["macs"] = summary.total_macs;
      table.add_row({std::to_string(step), report::grouped(summary.total_params),
                     report::grouped(summary.total_macs), report::percent(accuracy),
                     report::fixed(latency.median_ms, 2)});
    } else {
      const auto stats = masks.stats(model);
      const double macs = remaining_macs(dense_summary, masks);
      row["sparsity"] = stats.sparsity();
      row["parameters"] = stats.remaining_parameters();
      row["macs"] = macs;
      table.add_row({std::to_string(step), report::percent(stats.sparsity()),
                     report::grouped(stats.remaining_parameters()),
                     report::grouped(static_cast<long long>(macs)), report::percent(accuracy),
                     report::fixed(latency.median_ms, 2)});
    }
    rows.push_back(std::move(row));
  };
  add_row(0);

  for (int step = 1; step <= options.steps; ++step) {
    const auto index = static_cast<std::size_t>(step - 1);
    std::string what;
    train::TrainHooks hooks;
    if (options.structured) {
      auto channels = options.channels;
      channels.ratio = compress::ratio_for_macs(model, mac_targets[index], channels);
      if (channels.ratio > 0) compress::prune_channels(model, channels);
      what = "MACs <= " + report::grouped(mac_targets[index]);
    } else {
      auto pruning = options.pruning;
      pruning.sparsity = sparsities[index];
      masks = compress::magnitude_prune(model, pruning);
      masks.apply(model);
      hooks = masks.hooks();
      what = "sparsity " + report::percent(pruning.sparsity);
    }
    finetune(model, input, flags, step, hooks);
    add_row(step);
    if (input.reports()) {
      info(global, "step " + std::to_string(step) + "/" + std::to_string(options.steps) + ": " +
                       what + ", test accuracy " +
                       report::percent(rows.back()["test_accuracy"].get<double>()));
    }
  }
  if (!input.reports()) return;  // rank 0 writes and reports

  const nlohmann::json section = options.structured
                                     ? nlohmann::json{{"method", "channel"},
                                                      {"importance", options.channels.importance},
                                                      {"schedule", options.schedule},
                                                      {"steps", rows}}
                                     : nlohmann::json{{"method", "magnitude"},
                                                      {"scope", options.pruning.scope},
                                                      {"score", options.pruning.score},
                                                      {"schedule", options.schedule},
                                                      {"steps", rows}};
  auto out = compressed_checkpoint(model, input, "pruning", section);
  if (!options.structured) masks.to_checkpoint(out);
  models::save_checkpoint(flags.output, out);
  if (!options.plot.empty()) {
    report::Series accuracy{"test accuracy", {}, {}};
    const double dense_macs = rows.front()["macs"].get<double>();
    for (const auto& row : rows) {
      accuracy.x.push_back(row["macs"].get<double>() / dense_macs);
      accuracy.y.push_back(row["test_accuracy"].get<double>());
    }
    report::ChartOptions chart;
    chart.x_label = "MACs left (fraction of the dense model's)";
    chart.y_label = "test accuracy";
    core::write_text_atomically(options.plot, report::svg_line_chart({accuracy}, chart));
  }

  nlohmann::json json = {{"checkpoint", flags.output}, {"steps", rows}};
  const std::string title =
      options.structured
          ? "filter/neuron pruning of " + model.info().arch + " (" + options.channels.importance +
                " importance, " + options.schedule + " schedule)"
          : "magnitude pruning of " + model.info().arch + " (" + options.pruning.scope + ", " +
                options.schedule + " schedule)";
  emit(global, context, json, title + "\n" + table.render() + "checkpoint: " + flags.output);
}

}  // namespace

void setup_prune(CLI::App& app, GlobalOptions& global) {
  auto options = std::make_shared<PruneOptions>();
  auto* command = app.add_subcommand(
      "prune",
      "weight (magnitude) or filter/neuron (--structured) pruning, iterative with fine-tuning");
  auto& p = options->pruning;
  add_compression_flags(*command, options->flags, /*epochs=*/1);
  command->add_option("--sparsity", p.sparsity, "final fraction of prunable weights set to zero")
      ->check(domain::range(0, 1, /*lo_open=*/true, /*hi_open=*/true))
      ->capture_default_str();
  command->add_option("--scope", p.scope, "global (one threshold) | layer (same ratio each)")
      ->capture_default_str();
  command->add_option("--score", p.score, "weight importance: l1 (|w|) | l2 (w^2)")
      ->capture_default_str();
  command->add_flag("--structured", options->structured,
                    "remove whole filters and neurons: a smaller dense model");
  command
      ->add_option("--ratio", options->channels.ratio,
                   "--structured: fraction of each layer's channels removed")
      ->check(domain::range(0, 1, /*lo_open=*/false, /*hi_open=*/true))
      ->capture_default_str();
  command
      ->add_option("--target-macs", options->target_macs,
                   "--structured: fraction of the model's MACs to keep (instead of --ratio)")
      ->check(domain::range(0, 1, /*lo_open=*/false, /*hi_open=*/true));
  command
      ->add_option("--importance", options->channels.importance,
                   "--structured: l1 | l2 (filter norm) | bn (BatchNorm |gamma|)")
      ->capture_default_str();
  command->add_option("--layers", options->layers,
                      "comma-separated weights (or, --structured, layers) to prune (default: all)");
  command->add_option("--steps", options->steps, "prune / fine-tune rounds")
      ->check(domain::positive())
      ->capture_default_str();
  command->add_option("--plot", options->plot, "SVG file: test accuracy against the MACs left");
  command->add_option("--schedule", options->schedule, "equal | agp (cubic, Zhu & Gupta 2017)")
      ->capture_default_str();
  command->callback([options, &global] { run_prune(*options, global); });
}

}  // namespace nnlab::app
