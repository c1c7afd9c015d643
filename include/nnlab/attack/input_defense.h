// Passive defenses: an input transform put in front of the classifier at evaluation time, which
// tries to wash the perturbation out of an adversarial image while keeping the clean image
// readable. Each spec is NAME:PARAMETER:
//   median:K  K x K median filter (K odd; reflect padding) - "feature squeezing",
//             Xu, Evans & Qi, NDSS 2018
//   bits:B    bit-depth reduction to B bits per channel, round(x (2^B-1)) / (2^B-1) - Xu et al.
//   jpeg:Q    JPEG compression at quality Q (1-100) through OpenCV - Dziugaite et al. 2016,
//             Guo et al., ICLR 2018
// These are evaluated against attacks made on the undefended model (the "gray-box" setting of
// the papers); an attacker who knows the defense can differentiate through an approximation of
// it (BPDA, Athalye et al. 2018) and usually wins - nnlab measures, it does not claim security.
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
};

// One spec; throws core::OptionError("parse_defense.spec", ...) naming what is wrong.
InputDefense parse_defense(const std::string& spec);
// A comma-separated list of specs; empty text: none.
std::vector<InputDefense> parse_defenses(const std::string& list);

torch::Tensor median_filter(const torch::Tensor& images, int kernel);
torch::Tensor reduce_bit_depth(const torch::Tensor& images, int bits);
torch::Tensor jpeg_compress(const torch::Tensor& images, int quality);

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
