// nnlab prune: iterative magnitude (unstructured) pruning with fine-tuning between steps; one
// row per step (sparsity, parameters left, MACs of the remaining weights, accuracy, measured
// latency); the masks are saved with the checkpoint, so later fine-tuning keeps them.
#include <torch/torch.h>

#include <map>
#include <sstream>

#include "commands/commands.h"
#include "model_flags.h"
#include "nnlab/compress/magnitude_pruning.h"
#include "nnlab/core/error.h"
#include "nnlab/data/data_spec.h"
#include "nnlab/models/checkpoint.h"
#include "nnlab/models/latency.h"
#include "nnlab/models/model_loader.h"
#include "nnlab/models/summary.h"
#include "nnlab/report/table.h"
#include "nnlab/train/evaluate.h"
#include "nnlab/train/trainer.h"

namespace nnlab::app {

namespace {

struct PruneOptions {
  std::string model;
  std::string data;
  std::string output;
  compress::MagnitudePruningOptions pruning;
  std::string layers;
  int steps = 1;
  std::string schedule = "agp";
  train::TrainOptions finetune;
  std::int64_t limit = 0;
  std::int64_t latency_batch = 64;
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

void run_prune(PruneOptions options, const GlobalOptions& global) {
  const torch::Device device = start(global);
  if (options.model.empty()) throw core::OptionError("--model", "required (an nnlab checkpoint)");
  if (options.output.empty()) throw core::OptionError("--output", "required");
  if (!(options.pruning.sparsity > 0 && options.pruning.sparsity < 1)) {
    throw core::OptionError("--sparsity",
                            "must be in (0, 1), got " + std::to_string(options.pruning.sparsity));
  }
  if (options.finetune.epochs < 0) throw core::OptionError("--finetune-epochs", "must be >= 0");
  std::stringstream layer_list(options.layers);
  for (std::string layer; std::getline(layer_list, layer, ',');) {
    if (!layer.empty()) options.pruning.layers.push_back(layer);
  }
  const auto targets =
      compress::sparsity_schedule(options.pruning.sparsity, options.steps, options.schedule);

  const auto checkpoint = models::read_checkpoint(options.model);
  auto model = models::classifier_from_checkpoint(checkpoint, options.model);
  model.to(device);
  auto masks = compress::PruningMasks::from_checkpoint(checkpoint);
  if (!masks.empty()) masks.apply(model);
  compress::magnitude_prune(model, [&] {  // checks the layers and options before any work
    auto probe = options.pruning;
    probe.sparsity = targets.front();
    return probe;
  }());

  if (options.data.empty()) options.data = checkpoint.meta.value("data", "fashion-mnist");
  const auto data_options = data_options_for(model.info());
  auto split = data::load_data(options.data, data_options);
  if (options.limit > 0) split.train = split.train.head(options.limit);

  const auto summary = models::summarize(model);
  report::Table table({"step", "sparsity", "params left", "MACs left", "test acc",
                       "latency b" + std::to_string(options.latency_batch) + " ms"});
  nlohmann::json rows = nlohmann::json::array();
  models::LatencyOptions latency_options;
  latency_options.batch_size = options.latency_batch;
  auto add_row = [&](int step, const compress::PruningMasks& current) {
    const auto stats = current.stats(model);
    const auto accuracy =
        train::evaluate(model, split.test, {options.finetune.eval_batch_size, false, "test"})
            .accuracy;
    const auto latency = models::measure_latency(model, latency_options);
    const double macs = remaining_macs(summary, current);
    rows.push_back({{"step", step},
                    {"sparsity", stats.sparsity()},
                    {"parameters", stats.remaining_parameters()},
                    {"macs", macs},
                    {"test_accuracy", accuracy},
                    {"latency_ms", latency.median_ms}});
    table.add_row({std::to_string(step), report::percent(stats.sparsity()),
                   report::grouped(stats.remaining_parameters()),
                   report::grouped(static_cast<long long>(macs)), report::percent(accuracy),
                   report::fixed(latency.median_ms, 2)});
  };
  add_row(0, masks);

  options.finetune.progress = !global.quiet;
  options.finetune.seed = global.runtime.seed;
  for (int step = 1; step <= options.steps; ++step) {
    auto pruning = options.pruning;
    pruning.sparsity = targets[static_cast<size_t>(step - 1)];
    masks = compress::magnitude_prune(model, pruning);
    masks.apply(model);
    if (options.finetune.epochs > 0) {
      auto finetune = options.finetune;
      finetune.seed = options.finetune.seed + step;
      train::Trainer(model, finetune, masks.hooks()).fit({split.train, {}});
    }
    add_row(step, masks);
    info(global, "step " + std::to_string(step) + "/" + std::to_string(options.steps) +
                     ": sparsity " + report::percent(pruning.sparsity) + ", test accuracy " +
                     report::percent(rows.back()["test_accuracy"].get<double>()));
  }

  auto out = models::make_checkpoint(model);
  out.meta = checkpoint.meta;
  out.meta.erase("train");  // the training state of the dense model does not resume this one
  out.meta.erase("epoch");
  out.blobs.clear();
  out.meta["pruning"] = {{"method", "magnitude"},
                         {"scope", options.pruning.scope},
                         {"score", options.pruning.score},
                         {"schedule", options.schedule},
                         {"steps", rows}};
  masks.to_checkpoint(out);
  models::save_checkpoint(options.output, out);

  nlohmann::json json = {{"checkpoint", options.output}, {"steps", rows}};
  emit(global, json,
       "magnitude pruning of " + model.info().arch + " (" + options.pruning.scope + ", " +
           options.schedule + " schedule)\n" + table.render() + "checkpoint: " + options.output);
}

}  // namespace

void setup_prune(CLI::App& app, GlobalOptions& global) {
  auto options = std::make_shared<PruneOptions>();
  auto* command = app.add_subcommand(
      "prune", "magnitude pruning, iterative with fine-tuning; masks kept in the checkpoint");
  auto& p = options->pruning;
  auto& f = options->finetune;
  f.epochs = 1;
  command->add_option("-m,--model", options->model, "nnlab checkpoint to prune");
  command->add_option("--data", options->data,
                      "fine-tuning and test data (default: the checkpoint's)");
  command->add_option("-o,--output", options->output, "the pruned checkpoint");
  command->add_option("--sparsity", p.sparsity, "final fraction of prunable weights set to zero")
      ->capture_default_str();
  command->add_option("--scope", p.scope, "global (one threshold) | layer (same ratio each)")
      ->capture_default_str();
  command->add_option("--score", p.score, "weight importance: l1 (|w|) | l2 (w^2)")
      ->capture_default_str();
  command->add_option("--layers", options->layers,
                      "comma-separated weights to prune (default: every Linear/Conv weight)");
  command->add_option("--steps", options->steps, "prune / fine-tune rounds")->capture_default_str();
  command->add_option("--schedule", options->schedule, "equal | agp (cubic, Zhu & Gupta 2017)")
      ->capture_default_str();
  command->add_option("--finetune-epochs", f.epochs, "fine-tuning epochs after each step")
      ->capture_default_str();
  command->add_option("--lr", f.lr, "fine-tuning learning rate")->capture_default_str();
  command->add_option("--optimizer", f.optimizer, "sgd | adam | adamw")->capture_default_str();
  command->add_option("--batch-size", f.batch_size)->capture_default_str();
  command->add_option("--limit", options->limit, "fine-tune on the first N training images");
  command->add_option("--latency-batch", options->latency_batch, "batch of the latency column")
      ->capture_default_str();
  command->callback([options, &global] { run_prune(*options, global); });
}

}  // namespace nnlab::app
