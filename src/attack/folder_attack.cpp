#include "nnlab/attack/folder_attack.h"

#include <torch/torch.h>

#include <filesystem>

#include "nnlab/core/error.h"
#include "nnlab/data/image_folder.h"

namespace nnlab::attack {

bool same_folder(const std::string& a, const std::string& b) {
  std::error_code ignored;
  return std::filesystem::weakly_canonical(a, ignored) ==
         std::filesystem::weakly_canonical(b, ignored);
}

FolderAttackResult run_folder_attack(models::Classifier& model,
                                     const FolderAttackOptions& options) {
  if (options.input.empty()) throw core::OptionError("FolderAttackOptions.input", "required");
  if (options.sweep.output.empty())
    throw core::OptionError("AttackSweepOptions.output", "required: the images are written there");
  if (same_folder(options.input, options.sweep.output) ||
      same_folder(options.input + "/images", options.sweep.output)) {
    throw core::OptionError(
        "AttackSweepOptions.output",
        "'" + options.sweep.output +
            "' is the input folder; adversarial images would overwrite the originals");
  }
  const auto& mi = model.info();
  data::ImageFolderOptions folder_options;
  folder_options.num_classes = mi.num_classes;
  folder_options.label_offset = options.label_offset;
  const auto folder = data::scan_image_folder(options.input, folder_options);
  FolderAttackResult result;
  result.clean = data::load_image_folder_of_size(folder, static_cast<int>(mi.in_channels),
                                                 mi.height, mi.width);
  AttackSweepOptions sweep = options.sweep;
  sweep.write_images = true;
  if (sweep.target == "given") {
    std::vector<std::int64_t> targets;
    for (const auto& record : folder.records) {
      if (!record.target) {
        throw core::FileError(
            options.input + "/labels.csv",
            "no TargetClass for " + record.file + ": targets 'given' need one for every image");
      }
      targets.push_back(*record.target - options.label_offset);
    }
    sweep.given_targets = torch::tensor(targets, torch::kLong);
  }
  result.sweep = run_attack_sweep(model, result.clean, sweep);
  return result;
}

}  // namespace nnlab::attack
