// An attack over a folder of images in the task layout (images/ + labels.csv, data/image_folder):
// the images read at the model's input size, an attack sweep over one or several budgets
// (attack_sweep), every adversarial image written as an 8-bit PNG under the input's file name,
// read back and scored -- what the attack command does for an input folder.
#pragma once

#include <string>

#include "nnlab/attack/attack_sweep.h"
#include "nnlab/data/dataset.h"

namespace nnlab::attack {

struct FolderAttackOptions {
  std::string input;  // the folder: images/ and labels.csv (TargetClass for target "given")
  // Subtracted from labels.csv values (1 for the 1-based ImageNet labels of the NIPS-2017 task).
  std::int64_t label_offset = 0;
  // The attack, its budgets, targets, defenses; sweep.output is required (the images go there)
  // and must not be the input folder; sweep.write_images is implied.
  AttackSweepOptions sweep;
};

struct FolderAttackResult {
  data::Dataset clean;  // the images as read, labels, files (as written: .png), class names
  AttackSweepResult sweep;
};

// Throws core::OptionError("FolderAttackOptions.<field>" or "AttackSweepOptions.<field>", ...) for
// options out of their domain, core::FileError for a folder, labels file or image that cannot be
// used (an image of another size than the model's input is refused, not resized).
FolderAttackResult run_folder_attack(models::Classifier& model, const FolderAttackOptions& options);

// Whether two paths name the same folder (after resolving links and "..", for folders that may not
// exist yet). An output folder that is the input (or its images/) would overwrite the originals.
bool same_folder(const std::string& a, const std::string& b);

}  // namespace nnlab::attack
