// Scheduled sampling (Bengio et al. 2015): during training the decoder is fed the reference
// token with probability epsilon and its own prediction otherwise; epsilon decays with training
// progress i (in epochs, fractional), never below a floor:
//   linear:           epsilon = max(floor, 1 - slope * i)
//   exponential:      epsilon = max(floor, k^i)            (k < 1)
//   inverse-sigmoid:  epsilon = max(floor, k / (k + exp(i / k)))   (k >= 1)
// "none" keeps pure teacher forcing (epsilon = 1).
#pragma once

#include <string>

namespace nnlab::seq2seq {

struct ScheduledSamplingOptions {
  std::string schedule = "none";  // none | linear | exponential | inverse-sigmoid
  double slope = 0.05;            // linear: decay per epoch
  double k = 0.9;                 // exponential: base (< 1); inverse-sigmoid: k (>= 1)
  double floor = 0.75;            // the smallest teacher-forcing probability
  double start_epoch = 0;         // pure teacher forcing before this (i counts from here)

  void validate() const;  // throws core::OptionError
};

// The teacher-forcing probability epsilon after `epochs` epochs of training.
double teacher_forcing_probability(const ScheduledSamplingOptions& options, double epochs);

}  // namespace nnlab::seq2seq
