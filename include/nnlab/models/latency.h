// Measured, not computed: the wall time of forward passes of a model on zeros of its input size,
// after warm-up runs, under NoGradGuard in eval mode. Speed-up claims of compression come from
// here.
#pragma once

#include <cstdint>
#include <vector>

#include "nnlab/models/classifier.h"

namespace nnlab::models {

struct LatencyOptions {
  std::int64_t batch_size = 64;
  int warmup = 3;
  int runs = 20;
};

struct Latency {
  std::int64_t batch_size = 0;
  double median_ms = 0;
  double min_ms = 0;
  double images_per_second = 0;  // batch_size / median
};

Latency measure_latency(Classifier& model, const LatencyOptions& options = {});

}  // namespace nnlab::models
