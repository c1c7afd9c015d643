// The progress of a long attack run (AutoAttack on 10,000 images takes hours on a laptop's CPU),
// saved aside every so often so that a killed run resumes where it stopped instead of starting
// over. A progress file belongs to one run: its key (what was attacked, how, on which model) must
// match, or the file is ignored and overwritten. Written atomically (core/atomic_file.h): a kill
// while saving leaves the previous progress.
#pragma once

#include <torch/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace nnlab::attack {

struct AttackProgress {
  std::string key;             // the run it belongs to
  std::int64_t done = 0;       // images of the run's work list finished, from its start
  torch::Tensor adversarial;   // (done, C, H, W): their results, in work-list order
  torch::Tensor clean_logits;  // (done, classes) when the run collects them; else undefined
  torch::Tensor stage;         // (done) int64 for an attack of several stages; else undefined
  torch::Tensor queries;       // (done) int64 for an attack that counts queries; else undefined
};

// Throws core::FileError naming path when it cannot be written.
void save_attack_progress(const std::string& path, const AttackProgress& progress);

// The progress saved at path for the run `key`; nullopt when there is none, it cannot be read,
// or it belongs to another run.
std::optional<AttackProgress> load_attack_progress(const std::string& path, const std::string& key);

// A key for a run from what makes it: the attack's description (name and settings, as the
// caller words them), the images, labels and goals, and the model's parameters (a checksum of
// each: a progress file is never resumed on other data or another model).
std::string attack_progress_key(const std::string& description, const torch::Tensor& images,
                                const torch::Tensor& goals,
                                const std::vector<torch::Tensor>& parameters);

}  // namespace nnlab::attack
