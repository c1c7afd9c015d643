// What a classifier training run records in its checkpoint beside the trainer's own state
// (options, epoch, history, optimizer), so that a resume continues the same run: where the data
// came from, the dropout, and the settings of what runs on the trainer's hooks -- adversarial
// training (attack/adversarial_training) and distillation (compress/distillation). train/ sits
// below both: it keeps their settings as they record them and does not interpret them.
// The keys are those of docs/FORMAT.md's checkpoint metadata ("data", "limit", "dropout",
// "noise_sigma", "adversarial", "distillation").
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

namespace nnlab::train {

// The teacher of a distillation run and its loss's settings.
struct DistillationRecord {
  std::string teacher;       // the teacher's file
  std::string teacher_arch;  // its architecture, for a .pth state_dict; may be empty
  double temperature = 4.0;
  double alpha = 0.9;
};

struct RunMetadata {
  std::string data = "fashion-mnist";  // the data spec (data/data_spec)
  std::int64_t limit = 0;              // the first N training images; 0: all
  std::optional<double> dropout;       // every dropout layer's probability; none: the arch's
  std::optional<double> noise_sigma;   // Gaussian data augmentation's std; none: off
  // attack::AdversarialTrainingOptions::to_json(), and the held-out images' count as "holdout".
  std::optional<nlohmann::json> adversarial;
  std::optional<DistillationRecord> distillation;
};

// Writes the record's keys into a checkpoint's metadata (other keys are left as they are).
void write_run_metadata(const RunMetadata& record, nlohmann::json& meta);
// Reads them back; a key that is absent keeps RunMetadata's default.
RunMetadata read_run_metadata(const nlohmann::json& meta);

}  // namespace nnlab::train
