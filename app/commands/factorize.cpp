// nnlab factorize: truncated-SVD factorization of Linear layers (compress/low_rank), then
// fine-tuning; one row per layer (shape, rank, parameters, singular-value energy kept) and the
// accuracy before, right after factorizing and after fine-tuning.
#include <sstream>

#include "commands/commands.h"
#include "compression_flags.h"
#include "flag_domains.h"
#include "nnlab/compress/low_rank.h"
#include "nnlab/models/latency.h"
#include "nnlab/models/summary.h"
#include "nnlab/report/table.h"

namespace nnlab::app {

namespace {

struct FactorizeOptions {
  CompressionFlags flags;
  compress::LowRankOptions low_rank;
  std::string layers;
};

void run_factorize(FactorizeOptions options, const GlobalOptions& global) {
  const core::ExecutionContext context = start(global);
  std::stringstream list(options.layers);
  for (std::string layer; std::getline(list, layer, ',');) {
    if (!layer.empty()) options.low_rank.layers.push_back(layer);
  }
  auto& flags = options.flags;
  auto input = load_for_compression(flags, global, context);
  auto& model = input.model;
  const auto params_before = models::summarize(model).total_params;
  const double accuracy_before = compress::test_accuracy(model, input.tuning);
  const auto layers = compress::factorize_linear(model, options.low_rank);
  model.to(context);
  const double accuracy_factorized = compress::test_accuracy(model, input.tuning);
  compress::fine_tune(model, input.tuning, /*round=*/1);
  const double accuracy_finetuned = compress::test_accuracy(model, input.tuning);
  const auto params_after = models::summarize(model).total_params;

  report::Table table({"layer", "shape", "rank", "params", "factorized", "kept", "energy"});
  nlohmann::json rows = nlohmann::json::array();
  for (const auto& l : layers) {
    table.add_row({l.layer, std::to_string(l.out) + "x" + std::to_string(l.in),
                   std::to_string(l.rank), report::grouped(l.params_before),
                   report::grouped(l.params_after),
                   report::percent(static_cast<double>(l.params_after) /
                                   static_cast<double>(l.params_before)),
                   report::percent(l.energy_kept)});
    rows.push_back({{"layer", l.layer},
                    {"out", l.out},
                    {"in", l.in},
                    {"rank", l.rank},
                    {"params_before", l.params_before},
                    {"params_after", l.params_after},
                    {"energy_kept", l.energy_kept}});
  }
  const nlohmann::json result = {{"layers", rows},
                                 {"params_before", params_before},
                                 {"params_after", params_after},
                                 {"accuracy_before", accuracy_before},
                                 {"accuracy_factorized", accuracy_factorized},
                                 {"accuracy_finetuned", accuracy_finetuned},
                                 {"finetune_epochs", flags.finetune.epochs}};
  if (!input.reports()) return;  // rank 0 writes and reports
  const auto json = save_compressed(model, input, flags, "factorization", result);
  emit(global, context, json,
       "low-rank factorization of " + model.info().arch + "\n" + table.render() +
           "model parameters " + report::grouped(params_before) + " -> " +
           report::grouped(params_after) + "\ntest accuracy " + report::percent(accuracy_before) +
           " -> " + report::percent(accuracy_factorized) + " factorized -> " +
           report::percent(accuracy_finetuned) + " after " + std::to_string(flags.finetune.epochs) +
           " fine-tuning epoch(s)\ncheckpoint: " + flags.output);
}

}  // namespace

void setup_factorize(CLI::App& app, GlobalOptions& global) {
  auto options = std::make_shared<FactorizeOptions>();
  auto* command = app.add_subcommand(
      "factorize", "low-rank (truncated SVD) factorization of Linear layers, then fine-tuning");
  add_compression_flags(*command, options->flags, /*epochs=*/1);
  command->add_option("--layers", options->layers, "comma-separated Linear layers (e.g. fc1)");
  command->add_option("--rank", options->low_rank.rank, "inner dimension k")
      ->check(domain::non_negative());
  command
      ->add_option("--energy", options->low_rank.energy,
                   "instead of --rank: keep this fraction of the singular values' energy")
      ->check(domain::range(0, 1, /*lo_open=*/true, /*hi_open=*/false));
  command
      ->add_option("--budget", options->low_rank.budget,
                   "instead of --rank: the largest k with k (M + N) <= budget M N")
      ->check(domain::positive());
  command->callback([options, &global] { run_factorize(*options, global); });
}

}  // namespace nnlab::app
