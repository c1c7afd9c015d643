// nnlab eval: accuracy, per-class accuracy, confusion matrix and loss of any model file.
#include "commands/commands.h"
#include "flag_domains.h"
#include "model_flags.h"
#include "nnlab/core/atomic_file.h"
#include "nnlab/core/error.h"
#include "nnlab/data/data_spec.h"
#include "nnlab/report/table.h"
#include "nnlab/train/evaluate.h"

namespace nnlab::app {

namespace {

struct EvalCommandOptions {
  ModelFlags model;
  std::string data;
  std::int64_t limit = 0;
  std::int64_t batch_size = 256;
  std::string confusion_csv;
};

void run_eval(const EvalCommandOptions& options, const GlobalOptions& global) {
  const core::ExecutionContext context = start(global);
  auto model = load_model_from_flags(options.model, context);
  const auto& mi = model.info();
  const std::string spec = data_spec_for(mi, options.data);
  const auto data_options = data_options_for(mi);
  auto test = data::load_data(spec, data_options).test;
  if (options.limit > 0) test = test.head(options.limit);
  if (test.size() == 0) throw core::OptionError("--data", spec + " has no test images");
  if (test.labels.max().item<std::int64_t>() >= mi.num_classes) {
    throw core::OptionError("--data", test.source + " has labels beyond the model's " +
                                          std::to_string(mi.num_classes) + " classes");
  }
  // Several processes (nnlab launch, torchrun, ...): each evaluates its share; rank 0 reports.
  const auto group = train::ProcessGroup::join_from_environment(global.dist_timeout);
  const train::EvalOptions eval_options{options.batch_size, !global.quiet && !group, "eval"};
  const auto result = group ? train::evaluate(model, test, eval_options, *group)
                            : train::evaluate(model, test, eval_options);
  if (group && group->rank() != 0) return;

  std::vector<std::string> names = !test.class_names.empty() ? test.class_names : mi.class_names;
  auto name_of = [&](std::int64_t c) {
    return c < static_cast<std::int64_t>(names.size()) ? names[static_cast<size_t>(c)]
                                                       : std::to_string(c);
  };
  const std::int64_t k = mi.num_classes;
  nlohmann::json json = {
      {"model", options.model.model.empty() ? options.model.weights : options.model.model},
      {"arch", mi.arch},
      {"data", spec},
      {"count", result.count},
      {"accuracy", result.accuracy},
      {"loss", result.loss}};
  report::Table per_class({"class", "name", "count", "accuracy"});
  json["per_class"] = nlohmann::json::array();
  for (std::int64_t c = 0; c < k; ++c) {
    const auto count = result.per_class_count[static_cast<size_t>(c)];
    if (count == 0 && k > 20) continue;  // ImageNet: only the classes present
    json["per_class"].push_back({{"class", c},
                                 {"name", name_of(c)},
                                 {"count", count},
                                 {"accuracy", result.per_class_accuracy[static_cast<size_t>(c)]}});
    per_class.add_row({std::to_string(c), name_of(c), std::to_string(count),
                       report::percent(result.per_class_accuracy[static_cast<size_t>(c)])});
  }
  std::vector<std::vector<std::int64_t>> confusion(
      static_cast<size_t>(k), std::vector<std::int64_t>(static_cast<size_t>(k)));
  const auto acc = result.confusion.accessor<std::int64_t, 2>();
  for (std::int64_t r = 0; r < k; ++r) {
    for (std::int64_t c = 0; c < k; ++c)
      confusion[static_cast<size_t>(r)][static_cast<size_t>(c)] = acc[r][c];
  }
  json["confusion"] = confusion;
  std::vector<std::string> header = {"true\\pred"};
  for (std::int64_t c = 0; c < k; ++c) header.push_back(std::to_string(c));
  report::Table matrix(header);
  for (std::int64_t r = 0; r < k; ++r) {
    std::vector<std::string> row = {std::to_string(r)};
    for (std::int64_t c = 0; c < k; ++c) row.push_back(std::to_string(acc[r][c]));
    matrix.add_row(row);
  }
  if (!options.confusion_csv.empty())
    core::write_text_atomically(options.confusion_csv, matrix.to_csv());
  std::string human = mi.arch + " on " + spec + ": accuracy " + report::percent(result.accuracy) +
                      " (" + std::to_string(result.count) + " images), loss " +
                      report::fixed(result.loss, 4) + "\n\n" + per_class.render();
  if (k <= 20)
    human += "\nconfusion matrix (rows: true class, columns: predicted)\n" + matrix.render();
  emit(global, context, json, human);
}

}  // namespace

void setup_eval(CLI::App& app, GlobalOptions& global) {
  auto options = std::make_shared<EvalCommandOptions>();
  auto* command =
      app.add_subcommand("eval", "accuracy, per-class accuracy, confusion matrix and loss");
  add_model_flags(*command, options->model);
  command->add_option("--data", options->data, "fashion-mnist | idx:DIR | folder:DIR (test split)");
  command->add_option("--limit", options->limit, "the first N test images only")
      ->check(domain::non_negative());
  command->add_option("--batch-size", options->batch_size)
      ->check(domain::positive())
      ->capture_default_str();
  command->add_option("--confusion", options->confusion_csv,
                      "also write the confusion matrix as CSV");
  command->callback([options, &global] { run_eval(*options, global); });
}

}  // namespace nnlab::app
