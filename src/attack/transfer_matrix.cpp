#include "nnlab/attack/transfer_matrix.h"

#include <torch/torch.h>

#include <cmath>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <stdexcept>

#include "nnlab/core/atomic_file.h"
#include "nnlab/core/autocast.h"
#include "nnlab/core/error.h"
#include "nnlab/core/format_version.h"
#include "nnlab/data/image_folder.h"
#include "nnlab/data/image_io.h"
#include "nnlab/report/table.h"
#include "nnlab/train/process_group.h"

namespace nnlab::attack {

namespace fs = std::filesystem;

std::string adversarial_folder_name(const std::string& folder) {
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

std::vector<std::string> TransferMatrix::header() const {
  std::vector<std::string> out = {"images \\ victim"};
  out.insert(out.end(), columns.begin(), columns.end());
  return out;
}

std::string TransferMatrix::to_csv() const {
  report::Table raw(header());
  for (size_t r = 0; r < accuracy.size(); ++r) {
    std::vector<std::string> row = {rows[r]};
    for (const double a : accuracy[r]) row.push_back(report::fixed(a, 6));
    raw.add_row(row);
  }
  return raw.to_csv();
}

TransferMatrix transfer_matrix(std::vector<models::Classifier>& victims,
                               const TransferMatrixOptions& options) {
  if (options.inputs.empty()) throw core::OptionError("TransferMatrixOptions.inputs", "required");
  if (options.clean.empty())
    throw core::OptionError("TransferMatrixOptions.clean", "required (the clean folder)");
  if (victims.empty()) throw std::invalid_argument("transfer_matrix: no victims given");
  if (options.batch_size <= 0)
    throw core::OptionError("TransferMatrixOptions.batch_size", "must be > 0");
  data::ImageFolderOptions folder_options;
  folder_options.num_classes = victims.front().info().num_classes;
  folder_options.label_offset = options.label_offset;
  const auto folder = data::scan_nonempty_image_folder(options.clean, folder_options);
  std::vector<std::int64_t> label_values;
  std::vector<std::string> clean_paths;
  for (const auto& record : folder.records) {
    label_values.push_back(record.label);
    clean_paths.push_back(record.path);
  }
  const auto labels = torch::tensor(label_values, torch::kLong);

  TransferMatrix matrix;
  matrix.count = labels.size(0);
  // Rows: the clean images, then each adversarial folder (same file names, as .png).
  matrix.rows = {"clean"};
  std::vector<std::vector<std::string>> row_paths = {clean_paths};
  for (const auto& input : options.inputs) {
    if (!fs::is_directory(input)) throw core::FileError(input, "is not a folder");
    std::vector<std::string> paths;
    for (const auto& record : folder.records) {
      paths.push_back(input + "/" + data::output_file_name(record));
    }
    matrix.rows.push_back(adversarial_folder_name(input));
    row_paths.push_back(paths);
  }

  // Columns: each victim, and each victim behind each defense.
  std::vector<std::string> names;
  for (const auto& victim : victims) names.push_back(victim.info().arch);
  if (std::set<std::string>(names.begin(), names.end()).size() < names.size()) {
    for (size_t i = 0; i < names.size() && i < options.victim_files.size(); ++i) {
      names[i] += " (" + options.victim_files[i] + ")";
    }
  }
  for (const auto& name : names) {
    matrix.columns.push_back(name);
    for (const auto& defense : options.defenses)
      matrix.columns.push_back(name + " [" + defense.spec + "]");
  }

  const auto n = labels.size(0);
  train::ProcessGroup* group = options.group;
  const auto [from, to] = group ? group->share(n) : train::share_of(n, 0, 1);
  const auto shard_labels = labels.slice(0, from, to);
  const auto shard_size = static_cast<double>(to - from);
  // Frozen victims: in bf16 each is cast once for all rows, not once per forward.
  bool bf16 = false;
  for (const auto& victim : victims) bf16 = bf16 || victim.precision() == core::Precision::kBf16;
  const core::AutocastCacheScope cast_once(bf16);
  // Correct answers per cell, rows by columns, over this rank's share.
  auto correct = torch::zeros({static_cast<std::int64_t>(row_paths.size()),
                               static_cast<std::int64_t>(matrix.columns.size())},
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
      add(accuracy_through(victim, images, shard_labels, options.batch_size));
      for (const auto& defense : options.defenses) {
        add(defended_accuracy(victim, defense, images, shard_labels, options.batch_size));
      }
    }
  }
  if (group) {
    std::vector<torch::Tensor> sums = {correct};
    group->all_reduce_sum(sums);
  }
  const auto fractions = correct / static_cast<double>(n);
  const auto cell = fractions.accessor<double, 2>();
  matrix.accuracy.resize(row_paths.size());
  for (size_t r = 0; r < row_paths.size(); ++r) {
    for (size_t c = 0; c < matrix.columns.size(); ++c) {
      matrix.accuracy[r].push_back(
          cell[static_cast<std::int64_t>(r)][static_cast<std::int64_t>(c)]);
    }
  }
  return matrix;
}

}  // namespace nnlab::attack
