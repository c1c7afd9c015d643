// The task's scores of an attack, per image and overall: clean and adversarial predictions,
// L-infinity and L2 distances in 0-255 pixel units, true-class probabilities before and after.
// Success rate = images misclassified after the attack / all images (an image the model already
// gets wrong counts as a success with distance 0).
#pragma once

#include <torch/types.h>

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "nnlab/models/classifier.h"

namespace nnlab::attack {

struct ImageScore {
  std::string file;
  std::int64_t label = 0;
  std::int64_t clean_prediction = 0;
  std::int64_t adversarial_prediction = 0;
  double linf = 0;  // 0-255 units
  double l2 = 0;    // 0-255 units
  double clean_true_probability = 0;
  double adversarial_true_probability = 0;
  // An attack of several stages (AutoAttack): the stage that broke the image, "clean" or "none"
  // (stage_scores.h); empty for other attacks, and then per_image.csv has no such column.
  std::string broken_by;
};

struct AttackScores {
  std::int64_t count = 0;
  double clean_accuracy = 0;
  double adversarial_accuracy = 0;
  double success_rate = 0;
  double mean_linf = 0;
  double max_linf = 0;
  double mean_l2 = 0;
  std::vector<ImageScore> images;

  nlohmann::json to_json() const;  // the overall numbers (no per-image rows)
  std::string per_image_csv() const;
};

// Scores adversarial images against clean ones. files may be empty (rows named by index).
// clean_logits: the model's logits on the clean images when the caller has them (attack_set
// does), saving a forward pass; computed here otherwise.
AttackScores score_attack(models::Classifier& model, const torch::Tensor& clean,
                          const torch::Tensor& adversarial, const torch::Tensor& labels,
                          const std::vector<std::string>& files = {}, std::int64_t batch_size = 64,
                          const torch::Tensor& clean_logits = {});

}  // namespace nnlab::attack
