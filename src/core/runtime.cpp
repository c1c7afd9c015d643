#include "nnlab/core/runtime.h"

#include <ATen/Parallel.h>
#include <sched.h>
#include <torch/cuda.h>
#include <torch/utils.h>

#include <cstdlib>
#include <thread>

#include "nnlab/core/error.h"

namespace nnlab::core {

int available_cores() {
  cpu_set_t set;
  if (sched_getaffinity(0, sizeof(set), &set) == 0) {
    const int n = CPU_COUNT(&set);
    if (n > 0) return n;
  }
  const unsigned n = std::thread::hardware_concurrency();
  return n > 0 ? static_cast<int>(n) : 1;
}

torch::Device parse_device(const std::string& spec) {
  if (spec == "auto") {
    return torch::cuda::is_available() ? torch::Device(torch::kCUDA, 0)
                                       : torch::Device(torch::kCPU);
  }
  if (spec == "cpu") return torch::Device(torch::kCPU);
  if (spec.rfind("cuda", 0) == 0) {
    int index = 0;
    if (spec.size() > 4) {
      if (spec[4] != ':' || spec.size() == 5 ||
          spec.find_first_not_of("0123456789", 5) != std::string::npos) {
        throw OptionError("RuntimeOptions.device",
                          "expected auto, cpu, cuda or cuda:N, got '" + spec + "'");
      }
      index = std::stoi(spec.substr(5));
    }
    if (!torch::cuda::is_available()) {
      throw OptionError("RuntimeOptions.device",
                        "'" + spec + "' asked for, but this build or machine has no CUDA device");
    }
    if (index >= static_cast<int>(torch::cuda::device_count())) {
      throw OptionError("RuntimeOptions.device", "'" + spec + "': only " +
                                                     std::to_string(torch::cuda::device_count()) +
                                                     " CUDA device(s)");
    }
    return torch::Device(torch::kCUDA, static_cast<c10::DeviceIndex>(index));
  }
  throw OptionError("RuntimeOptions.device",
                    "expected auto, cpu, cuda or cuda:N, got '" + spec + "'");
}

torch::Device init_runtime(const RuntimeOptions& options) {
  if (options.threads < 0)
    throw OptionError("RuntimeOptions.threads",
                      "must be >= 0 (0: all cores), got " + std::to_string(options.threads));
  int threads = options.threads == 0 ? available_cores() : options.threads;
  // nnlab launch gives each of its workers a share of the cores.
  if (const char* share = std::getenv("NNLAB_THREADS"); options.threads == 0 && share != nullptr) {
    const int n = std::atoi(share);
    if (n > 0) threads = n;
  }
  at::set_num_threads(threads);
  torch::manual_seed(static_cast<std::uint64_t>(options.seed));
  return parse_device(options.device);
}

}  // namespace nnlab::core
