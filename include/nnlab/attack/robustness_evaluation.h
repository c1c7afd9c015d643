// The one-page robustness evaluation a reviewer asks for: on a labelled set at one budget, clean
// accuracy, AutoAttack's robust accuracy with its per-stage breakdown (auto_attack.h), and PGD-20
// beside it (the number most papers also print; AutoAttack at or below it is the sanity check
// that the PGD number was not inflated by a weak attack), each with its time. Both runs are
// attack sweeps (attack_sweep.h) over the same images, so sharding across processes and the
// outputs (metrics.json and per_image.csv per attack) are theirs.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "nnlab/attack/attack_sweep.h"

namespace nnlab::attack {

struct RobustnessOptions {
  double epsilon = 8;  // 0-255 pixel units
  // The shared settings (norm, batch size, seed, rounding) and AutoAttack's own (autoattack.*).
  AttackSettings attack;
  int pgd_steps = 20;  // the PGD run beside AutoAttack
  // Where to write; empty: nothing. Holds pgd/ and autoattack/, each an attack sweep's output.
  std::string output;
  bool progress = true;
  core::ExecutionContext context;
  train::ProcessGroup* group = nullptr;  // several processes: as in AttackSweepOptions
};

struct RobustnessResult {
  bool reports = true;                       // false on a rank other than 0
  AttackReportRun pgd;                       // PGD-pgd_steps: scores and seconds
  AttackReportRun autoattack;                // AutoAttack: scores, seconds and stages
  nlohmann::json pgd_json, autoattack_json;  // each run's metrics.json object
  torch::Tensor adversarial;                 // AutoAttack's images (N,C,H,W) on the CPU

  double clean_accuracy() const { return autoattack.scores.clean_accuracy; }
  // {epsilon, norm, images, clean_accuracy, robust_accuracy (AutoAttack's), pgd: {steps,
  // robust_accuracy, seconds}, autoattack: {version, robust_accuracy, seconds, stages}}.
  nlohmann::json to_json(const RobustnessOptions& options) const;
};

// Throws core::OptionError("RobustnessOptions.pgd_steps", ...) for fewer than 1 step, and the
// attacks' own errors (AutoAttack's version, the norm, ...) before any work.
RobustnessResult evaluate_robustness(models::Classifier& model, const data::Dataset& set,
                                     const RobustnessOptions& options);

// The summary table: attack, robust accuracy, seconds (clean first, then PGD, then AutoAttack
// and its stages).
report::Table robustness_table(const RobustnessResult& result, const RobustnessOptions& options);

}  // namespace nnlab::attack
