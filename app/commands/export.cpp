// nnlab export-images: a data set's test images in the image-folder task layout.
#include "commands/commands.h"
#include "flag_domains.h"
#include "nnlab/core/error.h"
#include "nnlab/data/data_spec.h"
#include "nnlab/data/image_folder_writer.h"

namespace nnlab::app {

namespace {

struct ExportOptions {
  std::string data = "fashion-mnist";
  std::string split = "test";
  std::string output;
  std::int64_t count = 16;
};

void run_export(const ExportOptions& options, const GlobalOptions& global) {
  const core::ExecutionContext context = start(global);
  if (options.split != "test" && options.split != "train") {
    throw core::OptionError("--split", "expected train or test, got '" + options.split + "'");
  }
  const auto split = data::load_data(options.data);
  const auto& set = options.split == "train" ? split.train : split.test;
  data::write_image_folder(set, options.output, options.count);
  const auto n = options.count > 0 ? std::min(options.count, set.size()) : set.size();
  emit(global, context, {{"output", options.output}, {"images", n}},
       "wrote " + std::to_string(n) + " images with labels.csv and categories.csv to " +
           options.output);
}

}  // namespace

void setup_export(CLI::App& app, GlobalOptions& global) {
  auto options = std::make_shared<ExportOptions>();
  auto* command = app.add_subcommand("export-images",
                                     "write a data set's images in the image-folder task layout");
  command->add_option("--data", options->data, "fashion-mnist | idx:DIR")->capture_default_str();
  command->add_option("--split", options->split, "train | test")->capture_default_str();
  command->add_option("-o,--output", options->output, "output folder")->required();
  command->add_option("-n,--count", options->count, "number of images (0: all)")
      ->check(domain::non_negative())
      ->capture_default_str();
  command->callback([options, &global] { run_export(*options, global); });
}

}  // namespace nnlab::app
