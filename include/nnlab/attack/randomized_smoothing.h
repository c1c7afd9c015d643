// Randomized smoothing (Cohen, Rosenfeld & Kolter, "Certified adversarial robustness via
// randomized smoothing", ICML 2019; reference code locuslab/smoothing, code/core.py): the smoothed
// classifier g(x) = argmax_c P(f(x + d) = c), d ~ N(0, sigma^2 I), is robust in L2 around x within
// radius sigma * Phi^-1(pA) whenever the top class has probability pA > 1/2 under the noise.
//   certify: n0 noisy draws pick the top class cA; n further draws count it (nA); pA's one-sided
//            Clopper-Pearson lower bound at confidence 1 - alpha (core/binomial_bound.h) gives the
//            radius, or an abstention when that bound is below 1/2.
//   predict: n draws; the top class unless the binomial test of its count against the runner-up's
//            (p = 1/2) has a p-value above alpha (abstain).
// The base classifier should have been trained on noisy images (gaussian_augmentation_hooks).
// Pixels live in [0, 1]; the noise is not clamped, as in the reference. Draws run in batches on the
// model's device without gradients; each image's draws come from generators keyed by the seed and
// the image's index, so an image's result does not depend on which other images are certified.
#pragma once

#include <torch/types.h>

#include <cstdint>
#include <vector>

#include "nnlab/models/classifier.h"
#include "nnlab/train/trainer.h"

namespace nnlab::attack {

struct SmoothingOptions {
  double sigma = 0.25;     // noise level, [0,1] pixel units
  std::int64_t n0 = 100;   // draws that pick the class
  std::int64_t n = 10000;  // draws that estimate its probability (the reference certifies 100,000)
  double alpha = 0.001;    // the certificate is wrong with probability at most alpha
  std::int64_t batch_size = 1000;  // noisy copies per forward pass
  std::uint64_t seed = 0;

  // Throws core::OptionError for a value out of range.
  void validate() const;
};

constexpr std::int64_t kAbstain = -1;

struct SmoothingCertificate {
  std::int64_t prediction = kAbstain;  // the certified class, or kAbstain
  double radius = 0;                   // certified L2 radius, [0,1] pixel units (0: abstained)
  std::int64_t guess = 0;              // the class the n0 draws picked
  std::int64_t count = 0;              // draws of the n that gave it
  double p_lower = 0;                  // lower confidence bound on its probability
};

class RandomizedSmoothing {
 public:
  // Validates the options.
  RandomizedSmoothing(models::Classifier& model, SmoothingOptions options);

  // (num_classes) int64 on the CPU: how often each class wins on `num` noisy copies of one image
  // (C,H,W), drawn from a generator seeded by `generator_seed`.
  torch::Tensor sample_counts(const torch::Tensor& image, std::int64_t num,
                              std::uint64_t generator_seed);

  // Cohen et al.'s CERTIFY for image number `index` of a set (its noise streams' key).
  SmoothingCertificate certify(const torch::Tensor& image, std::int64_t index);

  // Cohen et al.'s PREDICT: the smoothed class or kAbstain.
  std::int64_t predict(const torch::Tensor& image, std::int64_t index);

  const SmoothingOptions& options() const { return options_; }

 private:
  models::Classifier& model_;
  SmoothingOptions options_;
};

// Certified accuracy at each radius r: the fraction of images whose certified class is their label
// with a radius >= r (at r = 0: correct and not abstained).
std::vector<double> certified_accuracy(const std::vector<SmoothingCertificate>& certificates,
                                       const std::vector<std::int64_t>& labels,
                                       const std::vector<double>& radii);

// Gaussian data augmentation, the training recipe of randomized smoothing: transform_batch adds
// N(0, sigma^2) noise to every pixel of every training batch (not clamped), drawn on torch's
// default generator (seeded per epoch by the trainer). Throws core::OptionError unless sigma > 0.
train::TrainHooks gaussian_augmentation_hooks(double sigma);

}  // namespace nnlab::attack
