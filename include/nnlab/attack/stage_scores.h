// The per-stage breakdown of an attack that runs several attacks in sequence (AutoAttack): for
// each stage, the images it broke and the robust accuracy left after it - the table papers and
// RobustBench print - and, per image, the stage that broke it.
#pragma once

#include <torch/types.h>

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "nnlab/attack/metrics.h"

namespace nnlab::attack {

struct StageScore {
  std::string attack;          // the stage's name (Attack::stage_names())
  std::int64_t broken = 0;     // images this stage broke (all earlier stages failed on them)
  double robust_accuracy = 0;  // correctly classified and unbroken after this stage, of all
  double seconds = 0;          // time spent in the stage

  nlohmann::json to_json() const;  // {attack, broken, robust_accuracy, seconds}
};

// scores: the attack's scores over the set (their clean predictions tell which images were
// classified correctly); stage (N) int64: AttackSetResult::stage; names and seconds: the
// attack's stage_names() and stage_seconds().
std::vector<StageScore> stage_scores(const AttackScores& scores, const torch::Tensor& stage,
                                     const std::vector<std::string>& names,
                                     const std::vector<double>& seconds);

// Fills each ImageScore::broken_by (a column of per_image.csv): the breaking stage's name,
// "clean" for an image misclassified before any attack, "none" for an image no stage broke.
void name_breaking_stages(AttackScores& scores, const torch::Tensor& stage,
                          const std::vector<std::string>& names);

}  // namespace nnlab::attack
