// Passive defenses: an input transform put in front of the classifier at evaluation time, which
// tries to wash the perturbation out of an adversarial image while keeping the clean image
// readable. Each spec is NAME:PARAMETER:
//   median:K  K x K median filter (K odd; reflect padding) - "feature squeezing",
//             Xu, Evans & Qi, NDSS 2018
//   bits:B    bit-depth reduction to B bits per channel, round(x (2^B-1)) / (2^B-1) - Xu et al.
//   jpeg:Q    JPEG compression at quality Q (1-100) through OpenCV - Dziugaite et al. 2016,
//             Guo et al., ICLR 2018
//   noise:S   Gaussian noise of standard deviation S pixel units (1-255), clamped to [0,1]; a
//             random defense, each call a new draw from the defense's own generator (seeded, so
//             a run repeats) - random input transforms, Xie et al., ICLR 2018
// These are evaluated against attacks made on the undefended model (the "gray-box" setting of
// the papers); an attacker who knows the defense can differentiate through an approximation of
// it (BPDA, Athalye et al. 2018) and usually wins - nnlab measures, it does not claim security:
// attack/defended_model.h makes that attacker.
#pragma once

#include <torch/types.h>

#include <functional>
#include <string>
#include <vector>

#include "nnlab/attack/objective.h"
#include "nnlab/models/classifier.h"

namespace nnlab::attack {

struct InputDefense {
  std::string spec;                                          // as given, e.g. "median:3"
  std::function<torch::Tensor(const torch::Tensor&)> apply;  // (N,C,H,W) [0,1] -> same shape
  bool random = false;  // each apply draws anew (copies share one generator)
};

// One spec; throws core::OptionError("parse_defense.spec", ...) naming what is wrong. seed: the
// generator of a random defense (the same seed, the same draws in the same order).
InputDefense parse_defense(const std::string& spec, std::uint64_t seed = 0);
// A comma-separated list of specs; empty text: none. Each random defense draws from its own
// generator, seeded from seed and its position in the list.
std::vector<InputDefense> parse_defenses(const std::string& list, std::uint64_t seed = 0);

torch::Tensor median_filter(const torch::Tensor& images, int kernel);
torch::Tensor reduce_bit_depth(const torch::Tensor& images, int bits);
torch::Tensor jpeg_compress(const torch::Tensor& images, int quality);
// images + N(0, sigma^2) per pixel (sigma in [0,1] units, drawn on the CPU from generator, so a
// draw does not depend on the device), clamped to [0,1].
torch::Tensor gaussian_noise(const torch::Tensor& images, double sigma, at::Generator generator);

// Accuracy of model(transform(images)) in batches (no transform: the images as they are); images
// (N,C,H,W) in [0,1] on any device.
double accuracy_through(models::Classifier& model, const torch::Tensor& images,
                        const torch::Tensor& labels, std::int64_t batch_size = 64,
                        const InputTransform& transform = nullptr);

// Accuracy of model(defense(images)).
double defended_accuracy(models::Classifier& model, const InputDefense& defense,
                         const torch::Tensor& images, const torch::Tensor& labels,
                         std::int64_t batch_size = 64);

}  // namespace nnlab::attack
