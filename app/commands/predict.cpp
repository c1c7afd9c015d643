// nnlab predict: images in, top-k classes out (names from categories.csv or the checkpoint).
#include <torch/torch.h>

#include <cmath>
#include <cstdio>
#include <filesystem>

#include "commands/commands.h"
#include "flag_domains.h"
#include "model_flags.h"
#include "nnlab/core/atomic_file.h"
#include "nnlab/core/error.h"
#include "nnlab/data/csv.h"
#include "nnlab/data/image_folder.h"
#include "nnlab/data/image_io.h"
#include "nnlab/report/table.h"
#include "nnlab/train/evaluate.h"

namespace nnlab::app {

namespace fs = std::filesystem;

namespace {

struct PredictCommandOptions {
  ModelFlags model;
  std::vector<std::string> inputs;
  std::int64_t top_k = 5;
  std::string output;
  std::string logits;
  std::string categories;
  std::int64_t batch_size = 64;
};

bool is_image_file(const fs::path& p) {
  std::string ext = p.extension().string();
  for (auto& c : ext) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return ext == ".png" || ext == ".jpg" || ext == ".jpeg" || ext == ".bmp";
}

// Files in the order given; a directory contributes its images (DIR/images/ for the task layout).
std::vector<std::string> collect_images(const std::vector<std::string>& inputs) {
  std::vector<std::string> files;
  for (const auto& input : inputs) {
    if (!fs::exists(input)) throw core::FileError(input, "no such file or directory");
    if (!fs::is_directory(input)) {
      files.push_back(input);
      continue;
    }
    const fs::path dir =
        fs::is_directory(fs::path(input) / "images") ? fs::path(input) / "images" : fs::path(input);
    std::vector<std::string> found;
    for (const auto& entry : fs::directory_iterator(dir)) {
      if (entry.is_regular_file() && is_image_file(entry.path()))
        found.push_back(entry.path().string());
    }
    std::sort(found.begin(), found.end());
    if (found.empty()) throw core::FileError(input, "directory holds no .png/.jpg/.bmp images");
    files.insert(files.end(), found.begin(), found.end());
  }
  return files;
}

std::string full_precision(float value) {
  char buffer[32];
  std::snprintf(buffer, sizeof(buffer), "%.9g", static_cast<double>(value));
  return buffer;
}

void run_predict(const PredictCommandOptions& options, const GlobalOptions& global) {
  const core::ExecutionContext context = start(global);
  if (options.top_k < 1) throw core::OptionError("--top-k", "must be >= 1");
  auto model = load_model_from_flags(options.model, context);
  const auto& mi = model.info();
  std::vector<std::string> names = mi.class_names;
  std::string categories = options.categories;
  if (categories.empty()) {
    for (const auto& input : options.inputs) {
      const auto candidate = fs::path(input) / "categories.csv";
      if (fs::is_directory(input) && fs::exists(candidate)) categories = candidate.string();
    }
  }
  if (!categories.empty()) names = data::read_categories(categories);

  const auto files = collect_images(options.inputs);
  data::ImageLoadOptions image_options;
  image_options.channels = static_cast<int>(mi.in_channels);
  image_options.height = static_cast<int>(mi.height);
  image_options.width = static_cast<int>(mi.width);
  std::vector<torch::Tensor> images;
  for (const auto& file : files) images.push_back(data::load_image(file, image_options));
  const auto logits =
      train::predict_logits(model, torch::stack(images), options.batch_size, !global.quiet);
  const auto probs = torch::softmax(logits, 1);
  const auto k = std::min<std::int64_t>(options.top_k, mi.num_classes);
  const auto [top_p, top_i] = probs.topk(k, 1);

  auto name_of = [&](std::int64_t c) {
    return c < static_cast<std::int64_t>(names.size()) ? names[static_cast<size_t>(c)]
                                                       : std::to_string(c);
  };
  std::vector<std::string> header = {"file"};
  for (std::int64_t j = 1; j <= k; ++j) {
    header.push_back("top" + std::to_string(j));
    header.push_back("top" + std::to_string(j) + "_name");
    header.push_back("top" + std::to_string(j) + "_prob");
  }
  report::Table table(header);
  nlohmann::json json = {{"arch", mi.arch}, {"predictions", nlohmann::json::array()}};
  std::string logits_csv = "file";
  for (std::int64_t c = 0; c < mi.num_classes; ++c) logits_csv += ",logit" + std::to_string(c);
  logits_csv += "\n";
  for (size_t i = 0; i < files.size(); ++i) {
    const auto n = static_cast<std::int64_t>(i);
    const std::string name = fs::path(files[i]).filename().string();
    std::vector<std::string> row = {name};
    nlohmann::json top = nlohmann::json::array();
    for (std::int64_t j = 0; j < k; ++j) {
      const auto c = top_i[n][j].item<std::int64_t>();
      const auto p = top_p[n][j].item<double>();
      row.insert(row.end(), {std::to_string(c), name_of(c), report::fixed(p, 4)});
      top.push_back({{"class", c}, {"name", name_of(c)}, {"probability", p}});
    }
    table.add_row(row);
    json["predictions"].push_back({{"file", files[i]}, {"top", top}});
    logits_csv += data::csv_escape(name);
    const auto row_logits = logits[n].contiguous();
    const float* values = row_logits.data_ptr<float>();
    for (std::int64_t c = 0; c < mi.num_classes; ++c) logits_csv += "," + full_precision(values[c]);
    logits_csv += "\n";
  }
  if (!options.output.empty()) core::write_text_atomically(options.output, table.to_csv());
  if (!options.logits.empty()) core::write_text_atomically(options.logits, logits_csv);
  emit(global, context, json, table.render());
}

}  // namespace

void setup_predict(CLI::App& app, GlobalOptions& global) {
  auto options = std::make_shared<PredictCommandOptions>();
  auto* command = app.add_subcommand("predict", "top-k classes of images");
  add_model_flags(*command, options->model);
  command->add_option("inputs", options->inputs, "image files or folders")->required();
  command->add_option("-k,--top-k", options->top_k)
      ->check(domain::positive())
      ->capture_default_str();
  command->add_option("-o,--output", options->output, "write the predictions as CSV");
  command->add_option("--logits", options->logits,
                      "write every logit per image as CSV (full float precision)");
  command->add_option("--categories", options->categories,
                      "categories.csv (CategoryId,CategoryName) for class names");
  command->add_option("--batch-size", options->batch_size)
      ->check(domain::positive())
      ->capture_default_str();
  command->callback([options, &global] { run_predict(*options, global); });
}

}  // namespace nnlab::app
