#include "nnlab/seq2seq/scheduled_sampling.h"

#include <algorithm>
#include <cmath>

#include "nnlab/core/error.h"

namespace nnlab::seq2seq {

void ScheduledSamplingOptions::validate() const {
  if (schedule != "none" && schedule != "linear" && schedule != "exponential" &&
      schedule != "inverse-sigmoid") {
    throw core::OptionError("ScheduledSamplingOptions.schedule",
                            "none, linear, exponential or inverse-sigmoid, not " + schedule);
  }
  if (floor < 0 || floor > 1)
    throw core::OptionError("ScheduledSamplingOptions.floor",
                            "must be in [0, 1], got " + core::number_text(floor));
  if (schedule == "linear" && slope < 0)
    throw core::OptionError("ScheduledSamplingOptions.slope",
                            "linear slope must be >= 0, got " + core::number_text(slope));
  if (schedule == "exponential" && (k <= 0 || k >= 1))
    throw core::OptionError("ScheduledSamplingOptions.k",
                            "exponential base must be in (0, 1), got " + core::number_text(k));
  if (schedule == "inverse-sigmoid" && k < 1)
    throw core::OptionError("ScheduledSamplingOptions.k",
                            "inverse-sigmoid k must be >= 1, got " + core::number_text(k));
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
