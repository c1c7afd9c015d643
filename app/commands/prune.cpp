// nnlab prune: iterative pruning with fine-tuning between steps, one row per step (sparsity or
// parameters, MACs, accuracy, measured latency).
//   default       magnitude (unstructured) pruning; the masks are saved with the checkpoint, so
//                 later fine-tuning keeps them; MACs are those of the remaining weights.
//   --structured  whole filters and neurons removed (compress/channel_pruning), each step to a
//                 MAC target; the result is a smaller dense model.
// The work is compress::prune_and_finetune; this file is longer than a thin command's hundred
// lines because its two kinds of pruning print two kinds of table and the optional plot.
#include <sstream>

#include "commands/commands.h"
#include "compression_flags.h"
#include "flag_domains.h"
#include "nnlab/compress/iterative_pruning.h"
#include "nnlab/core/atomic_file.h"
#include "nnlab/report/html.h"
#include "nnlab/report/table.h"

namespace nnlab::app {

namespace {

struct PruneOptions {
  CompressionFlags flags;
  compress::PruneRunOptions run;
  bool structured = false;  // method channel
  std::string layers;
  std::string plot;  // SVG: test accuracy against the MACs left
};

// A step's --json row: the structured model's MACs are a whole count, weight pruning's a mean
// over densities (docs/JSON.md).
nlohmann::json step_json(const compress::PruneStep& step, bool structured) {
  nlohmann::json row = {
      {"step", step.step}, {"test_accuracy", step.test_accuracy}, {"latency_ms", step.latency_ms}};
  if (structured) {
    row["parameters"] = step.parameters;
    row["macs"] = static_cast<std::int64_t>(step.macs);
  } else {
    row["sparsity"] = step.sparsity;
    row["parameters"] = step.parameters;
    row["macs"] = step.macs;
  }
  return row;
}

void run_prune(PruneOptions options, const GlobalOptions& global) {
  const core::ExecutionContext context = start(global);
  auto& flags = options.flags;
  auto& run = options.run;
  run.method = options.structured ? "channel" : "magnitude";
  std::stringstream layer_list(options.layers);
  for (std::string layer; std::getline(layer_list, layer, ',');) {
    if (layer.empty()) continue;
    (options.structured ? run.channels.layers : run.magnitude.layers).push_back(layer);
  }
  auto input = load_for_compression(flags, global, context);
  auto& model = input.model;
  run.measure = true;
  run.latency_batch = flags.latency_batch;
  run.on_step = [&](const compress::PruneStep& step) {
    if (step.step == 0 || !input.reports()) return;
    const auto what = options.structured ? "MACs <= " + report::grouped(step.target.macs)
                                         : "sparsity " + report::percent(step.target.sparsity);
    info(global, "step " + std::to_string(step.step) + "/" + std::to_string(run.steps) + ": " +
                     what + ", test accuracy " + report::percent(step.test_accuracy));
  };
  const auto result = compress::prune_and_finetune(
      model, input.tuning, run, compress::PruningMasks::from_checkpoint(input.checkpoint));
  if (!input.reports()) return;  // rank 0 writes and reports

  const std::string latency_column = "latency b" + std::to_string(flags.latency_batch) + " ms";
  report::Table table = options.structured
                            ? report::Table({"step", "params", "MACs", "test acc", latency_column})
                            : report::Table({"step", "sparsity", "params left", "MACs left",
                                             "test acc", latency_column});
  nlohmann::json rows = nlohmann::json::array();
  for (const auto& step : result.steps) {
    rows.push_back(step_json(step, options.structured));
    if (options.structured) {
      table.add_row({std::to_string(step.step), report::grouped(step.parameters),
                     report::grouped(static_cast<std::int64_t>(step.macs)),
                     report::percent(step.test_accuracy), report::fixed(step.latency_ms, 2)});
    } else {
      table.add_row({std::to_string(step.step), report::percent(step.sparsity),
                     report::grouped(step.parameters),
                     report::grouped(static_cast<long long>(step.macs)),
                     report::percent(step.test_accuracy), report::fixed(step.latency_ms, 2)});
    }
  }
  const nlohmann::json section = options.structured
                                     ? nlohmann::json{{"method", "channel"},
                                                      {"importance", run.channels.importance},
                                                      {"schedule", run.schedule},
                                                      {"steps", rows}}
                                     : nlohmann::json{{"method", "magnitude"},
                                                      {"scope", run.magnitude.scope},
                                                      {"score", run.magnitude.score},
                                                      {"schedule", run.schedule},
                                                      {"steps", rows}};
  auto out = compressed_checkpoint(model, input, "pruning", section);
  if (!options.structured) result.masks.to_checkpoint(out);
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
  const std::string title = options.structured
                                ? "filter/neuron pruning of " + model.info().arch + " (" +
                                      run.channels.importance + " importance, " + run.schedule +
                                      " schedule)"
                                : "magnitude pruning of " + model.info().arch + " (" +
                                      run.magnitude.scope + ", " + run.schedule + " schedule)";
  emit(global, context, json, title + "\n" + table.render() + "checkpoint: " + flags.output);
}

}  // namespace

void setup_prune(CLI::App& app, GlobalOptions& global) {
  auto options = std::make_shared<PruneOptions>();
  auto* command = app.add_subcommand(
      "prune",
      "weight (magnitude) or filter/neuron (--structured) pruning, iterative with fine-tuning");
  auto& p = options->run.magnitude;
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
      ->add_option("--ratio", options->run.channels.ratio,
                   "--structured: fraction of each layer's channels removed")
      ->check(domain::range(0, 1, /*lo_open=*/false, /*hi_open=*/true))
      ->capture_default_str();
  command
      ->add_option("--target-macs", options->run.target_macs,
                   "--structured: fraction of the model's MACs to keep (instead of --ratio)")
      ->check(domain::range(0, 1, /*lo_open=*/false, /*hi_open=*/true));
  command
      ->add_option("--importance", options->run.channels.importance,
                   "--structured: l1 | l2 (filter norm) | bn (BatchNorm |gamma|)")
      ->capture_default_str();
  command->add_option("--layers", options->layers,
                      "comma-separated weights (or, --structured, layers) to prune (default: all)");
  command->add_option("--steps", options->run.steps, "prune / fine-tune rounds")
      ->check(domain::positive())
      ->capture_default_str();
  command->add_option("--plot", options->plot, "SVG file: test accuracy against the MACs left");
  command->add_option("--schedule", options->run.schedule, "equal | agp (cubic, Zhu & Gupta 2017)")
      ->capture_default_str();
  command->callback([options, &global] { run_prune(*options, global); });
}

}  // namespace nnlab::app
