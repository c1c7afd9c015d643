#include "nnlab/seq2seq/scheduled_sampling.h"

#include <algorithm>
#include <cmath>

#include "nnlab/core/error.h"

namespace nnlab::seq2seq {

void ScheduledSamplingOptions::validate() const {
  if (schedule != "none" && schedule != "linear" && schedule != "exponential" &&
      schedule != "inverse-sigmoid") {
    throw core::OptionError("--sampling",
                            "none, linear, exponential or inverse-sigmoid, not " + schedule);
  }
  if (floor < 0 || floor > 1) throw core::OptionError("--sampling-floor", "must be in [0, 1]");
  if (schedule == "linear" && slope < 0)
    throw core::OptionError("--sampling-k", "linear slope must be >= 0");
  if (schedule == "exponential" && (k <= 0 || k >= 1))
    throw core::OptionError("--sampling-k", "exponential base must be in (0, 1)");
  if (schedule == "inverse-sigmoid" && k < 1)
    throw core::OptionError("--sampling-k", "inverse-sigmoid k must be >= 1");
}

double teacher_forcing_probability(const ScheduledSamplingOptions& options, double epochs) {
  if (options.schedule == "none") return 1.0;
  const double i = std::max(0.0, epochs - options.start_epoch);
  double epsilon = 1.0;
  if (options.schedule == "linear") {
    epsilon = 1.0 - options.slope * i;
  } else if (options.schedule == "exponential") {
    epsilon = std::pow(options.k, i);
  } else if (options.schedule == "inverse-sigmoid") {
    epsilon = options.k / (options.k + std::exp(i / options.k));
  }
  return std::clamp(epsilon, options.floor, 1.0);
}

}  // namespace nnlab::seq2seq
