// Process-wide start-up: thread count, seed, device. Called once by main (and by tests).
#pragma once

#include <torch/types.h>

#include <cstdint>
#include <string>

namespace nnlab::core {

struct RuntimeOptions {
  int threads = 0;        // 0: all cores (Debian's LibTorch defaults to 1).
  std::int64_t seed = 0;  // Seeds torch's default generator.
  std::string device = "auto";
  std::string precision = "fp32";  // core/execution_context.h: fp32, bf16, or auto
};

// Applies threads and seed; returns the chosen device.
torch::Device init_runtime(const RuntimeOptions& options);

// "auto" (CUDA if available, else CPU), "cpu", "cuda" or "cuda:N". Throws OptionError for
// anything else or for a CUDA device this build or machine does not have.
torch::Device parse_device(const std::string& spec);

// Number of hardware threads the process may use (sched affinity aware).
int available_cores();

}  // namespace nnlab::core
