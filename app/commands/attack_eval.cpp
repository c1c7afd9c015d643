// nnlab attack-eval: saved adversarial images scored on other models - the transfer (black-box)
// matrix. Rows: the folders of adversarial images (named by the proxy that made them, from their
// metrics.json), plus the clean images; columns: the victims; cells: victim accuracy.
#include <filesystem>
#include <sstream>

#include "commands/commands.h"
#include "flag_domains.h"
#include "model_flags.h"
#include "nnlab/attack/transfer_matrix.h"
#include "nnlab/core/atomic_file.h"
#include "nnlab/core/error.h"
#include "nnlab/report/table.h"
#include "nnlab/train/process_group.h"

namespace nnlab::app {

namespace {

struct AttackEvalOptions {
  ModelFlags model;
  std::vector<std::string> inputs;
  std::string labels;
  std::string csv;
  std::string defenses;
  std::int64_t label_offset = 0;
  std::int64_t batch_size = 64;
};

void run_attack_eval(const AttackEvalOptions& options, const GlobalOptions& global) {
  const core::ExecutionContext context = start(global);
  if (options.inputs.empty()) throw core::OptionError("--input", "required");
  if (options.labels.empty()) throw core::OptionError("--labels", "required (the clean folder)");
  attack::TransferMatrixOptions matrix_options;
  matrix_options.clean = options.labels;
  matrix_options.inputs = options.inputs;
  matrix_options.defenses = attack::parse_defenses(options.defenses);
  matrix_options.label_offset = options.label_offset;
  matrix_options.batch_size = options.batch_size;
  auto victims = load_models_from_flags(options.model, context);
  // Victims of one architecture are told apart by their files' names.
  std::stringstream files(options.model.model.empty() ? options.model.weights
                                                      : options.model.model);
  for (std::string file; std::getline(files, file, ',');)
    matrix_options.victim_files.push_back(std::filesystem::path(file).stem().string());
  // Several processes (nnlab launch, torchrun, ...): each reads and scores its share of the
  // images; rank 0 reports.
  const auto group = train::ProcessGroup::join_from_environment(global.dist_timeout);
  matrix_options.group = group.get();
  const auto matrix = attack::transfer_matrix(victims, matrix_options);
  if (group && group->rank() != 0) return;

  report::Table table(matrix.header());
  nlohmann::json json;
  json["columns"] = matrix.columns;
  json["rows"] = matrix.rows;
  json["accuracy"] = matrix.accuracy;
  json["count"] = matrix.count;
  for (size_t r = 0; r < matrix.accuracy.size(); ++r) {
    std::vector<std::string> row = {matrix.rows[r]};
    for (const double a : matrix.accuracy[r]) row.push_back(report::percent(a));
    table.add_row(row);
  }
  if (!options.csv.empty()) {
    core::write_text_atomically(options.csv, matrix.to_csv());  // the fractions, unformatted
    json["csv"] = options.csv;
  }
  emit(global, context, json,
       "accuracy of each victim (columns) on " + std::to_string(matrix.count) +
           " images (rows: clean, then each proxy's adversarial images)\n" + table.render());
}

}  // namespace

void setup_attack_eval(CLI::App& app, GlobalOptions& global) {
  auto options = std::make_shared<AttackEvalOptions>();
  auto* command = app.add_subcommand(
      "attack-eval", "score saved adversarial images on other models: the transfer matrix");
  add_model_flags(*command, options->model);
  command
      ->add_option("-i,--input", options->inputs,
                   "folder(s) of adversarial PNGs written by nnlab attack (comma-separated)")
      ->delimiter(',');
  command->add_option("--labels", options->labels,
                      "the clean folder in the task layout (images/, labels.csv)");
  command->add_option("--csv", options->csv, "also write the matrix (fractions) as CSV");
  command->add_option("--defense", options->defenses,
                      "also score the victims behind passive defenses: median:K, bits:B, jpeg:Q");
  command->add_option("--batch-size", options->batch_size)
      ->check(domain::positive())
      ->capture_default_str();
  command
      ->add_option("--label-offset", options->label_offset,
                   "subtract from labels.csv values (1 for 1-based ImageNet labels)")
      ->check(domain::non_negative());
  command->callback([options, &global] { run_attack_eval(*options, global); });
}

}  // namespace nnlab::app
