// nnlab attack-eval: saved adversarial images scored on other models - the transfer (black-box)
// matrix. Rows: the folders of adversarial images (named by the proxy that made them, from their
// metrics.json), plus the clean images; columns: the victims; cells: victim accuracy.
#include <torch/torch.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "commands/commands.h"
#include "flag_domains.h"
#include "model_flags.h"
#include "nnlab/attack/input_defense.h"
#include "nnlab/core/atomic_file.h"
#include "nnlab/core/error.h"
#include "nnlab/core/format_version.h"
#include "nnlab/data/image_folder.h"
#include "nnlab/data/image_io.h"
#include "nnlab/report/table.h"
#include "nnlab/train/process_group.h"

namespace nnlab::app {

namespace fs = std::filesystem;

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

// "vgg16 fgsm eps 8" from the folder's metrics.json; the folder's name without one.
std::string row_name(const std::string& folder) {
  const auto path = folder + "/metrics.json";
  if (!fs::exists(path)) return fs::path(folder).filename().string();
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(core::read_file(path));
  } catch (const nlohmann::json::exception& e) {
    throw core::FileError(path, std::string("not valid JSON: ") + e.what());
  }
  core::check_json_format_version(j, "nnlab attack metrics", path);
  std::ostringstream name;
  name << j.value("arch", fs::path(folder).filename().string());
  if (j.contains("method")) name << " " << j["method"].get<std::string>();
  if (j.contains("epsilon")) name << " eps " << j["epsilon"].get<double>();
  return name.str();
}

void run_attack_eval(const AttackEvalOptions& options, const GlobalOptions& global) {
  const core::ExecutionContext context = start(global);
  if (options.inputs.empty()) throw core::OptionError("--input", "required");
  if (options.labels.empty()) throw core::OptionError("--labels", "required (the clean folder)");
  const auto defenses = attack::parse_defenses(options.defenses);
  auto victims = load_models_from_flags(options.model, context);
  const auto& first = victims.front().info();

  data::ImageFolderOptions folder_options;
  folder_options.num_classes = first.num_classes;
  folder_options.label_offset = options.label_offset;
  const auto folder = data::scan_image_folder(options.labels, folder_options);
  if (folder.records.empty()) throw core::FileError(options.labels, "holds no images");
  std::vector<std::int64_t> label_values;
  std::vector<std::string> clean_paths;
  for (const auto& record : folder.records) {
    label_values.push_back(record.label);
    clean_paths.push_back(record.path);
  }
  const auto labels = torch::tensor(label_values, torch::kLong);

  // Rows: the clean images, then each adversarial folder (same file names, as .png).
  std::vector<std::string> row_names = {"clean"};
  std::vector<std::vector<std::string>> row_paths = {clean_paths};
  for (const auto& input : options.inputs) {
    if (!fs::is_directory(input)) throw core::FileError(input, "is not a folder");
    std::vector<std::string> paths;
    for (const auto& record : folder.records) {
      paths.push_back(input + "/" + fs::path(record.file).replace_extension(".png").string());
    }
    row_names.push_back(row_name(input));
    row_paths.push_back(paths);
  }

  // Columns: each victim, and each victim behind each defense. Victims of one architecture
  // are told apart by their files' names.
  std::vector<std::string> names;
  for (const auto& victim : victims) names.push_back(victim.info().arch);
  if (std::set<std::string>(names.begin(), names.end()).size() < names.size()) {
    std::stringstream files(options.model.model.empty() ? options.model.weights
                                                        : options.model.model);
    std::string file;
    for (size_t i = 0; i < names.size() && std::getline(files, file, ','); ++i) {
      names[i] += " (" + fs::path(file).stem().string() + ")";
    }
  }
  std::vector<std::string> header = {"images \\ victim"};
  for (const auto& name : names) {
    header.push_back(name);
    for (const auto& defense : defenses) header.push_back(name + " [" + defense.spec + "]");
  }
  // Several processes (nnlab launch, torchrun, ...): each reads and scores its share of the
  // images; the correct counts are summed and rank 0 reports.
  const auto group = train::ProcessGroup::join_from_environment(global.dist_timeout);
  const auto n = labels.size(0);
  const auto [from, to] = group ? group->share(n) : train::share_of(n, 0, 1);
  const auto shard_labels = labels.slice(0, from, to);
  const auto shard_size = static_cast<double>(to - from);
  const auto columns = header.size() - 1;
  // Correct answers per cell, rows by columns, over this rank's share.
  auto correct = torch::zeros(
      {static_cast<std::int64_t>(row_paths.size()), static_cast<std::int64_t>(columns)},
      torch::kDouble);
  for (size_t r = 0; r < row_paths.size() && to > from; ++r) {
    const std::vector<std::string> paths(row_paths[r].begin() + from, row_paths[r].begin() + to);
    // Read once per row, again only for a victim that takes another input size.
    torch::Tensor images;
    std::int64_t column = 0;
    const auto add = [&](double accuracy) {
      correct[static_cast<std::int64_t>(r)][column++] = std::round(accuracy * shard_size);
    };
    for (auto& victim : victims) {
      const auto& vi = victim.info();
      if (!images.defined() || images.size(1) != vi.in_channels || images.size(2) != vi.height ||
          images.size(3) != vi.width) {
        images =
            data::load_images_of_size(paths, static_cast<int>(vi.in_channels), vi.height, vi.width);
      }
      add(attack::accuracy_through(victim, images, shard_labels, options.batch_size));
      for (const auto& defense : defenses) {
        add(attack::defended_accuracy(victim, defense, images, shard_labels, options.batch_size));
      }
    }
  }
  if (group) {
    std::vector<torch::Tensor> sums = {correct};
    group->all_reduce_sum(sums);
    if (group->rank() != 0) return;
  }
  const auto fractions = correct / static_cast<double>(n);
  const auto cell = fractions.accessor<double, 2>();
  std::vector<std::vector<double>> matrix(row_paths.size());
  for (size_t r = 0; r < row_paths.size(); ++r) {
    for (size_t c = 0; c < columns; ++c) {
      matrix[r].push_back(cell[static_cast<std::int64_t>(r)][static_cast<std::int64_t>(c)]);
    }
  }

  report::Table table(header);
  nlohmann::json json;
  json["columns"] = std::vector<std::string>(header.begin() + 1, header.end());
  json["rows"] = row_names;
  json["accuracy"] = matrix;
  json["count"] = labels.size(0);
  for (size_t r = 0; r < matrix.size(); ++r) {
    std::vector<std::string> row = {row_names[r]};
    for (const double a : matrix[r]) row.push_back(report::percent(a));
    table.add_row(row);
  }
  if (!options.csv.empty()) {
    // The CSV holds the fractions, unformatted.
    report::Table raw(header);
    for (size_t r = 0; r < matrix.size(); ++r) {
      std::vector<std::string> row = {row_names[r]};
      for (const double a : matrix[r]) row.push_back(report::fixed(a, 6));
      raw.add_row(row);
    }
    core::write_text_atomically(options.csv, raw.to_csv());
    json["csv"] = options.csv;
  }
  emit(global, context, json,
       "accuracy of each victim (columns) on " + std::to_string(labels.size(0)) +
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
