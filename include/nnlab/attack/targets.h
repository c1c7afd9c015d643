// Target classes for targeted attacks (options.targeted): the least-likely class (Kurakin et al.,
// "Adversarial Examples in the Physical World", 2017: argmin of the logits, the hardest target),
// a random class other than the true one (seeded, reproducible), or targets given per image
// (e.g. the TargetClass column of labels.csv).
#pragma once

#include <torch/types.h>

#include <cstdint>
#include <string>

#include "nnlab/models/classifier.h"

namespace nnlab::attack {

enum class TargetMode { kLeastLikely, kRandom, kGiven };

// "least-likely" | "random" | "given"; throws core::OptionError("parse_target_mode.name", ...)
// otherwise.
TargetMode parse_target_mode(const std::string& name);

// argmin over classes != label of the clean logits (the true class is excluded so that a
// misclassified image never gets its own label as target). The model is in eval mode meanwhile.
torch::Tensor least_likely_targets(models::Classifier& model, const torch::Tensor& images,
                                   const torch::Tensor& labels, std::int64_t batch_size = 64);

// Uniform over the num_classes - 1 classes != label, from a generator seeded with `seed`.
torch::Tensor random_targets(const torch::Tensor& labels, std::int64_t num_classes,
                             std::uint64_t seed);

// Targets for `labels` by mode (seed: kRandom's generator); kGiven returns `given` after checking
// that it has one int64 value in [0, num_classes) per label (TORCH_CHECK). On labels' device.
torch::Tensor choose_targets(models::Classifier& model, const torch::Tensor& images,
                             const torch::Tensor& labels, TargetMode mode, std::uint64_t seed = 0,
                             const torch::Tensor& given = {});

}  // namespace nnlab::attack
