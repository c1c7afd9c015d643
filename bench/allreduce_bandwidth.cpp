// All-reduce bandwidth of nnlab's process group (c10d ProcessGroupGloo) between the processes of
// one job: run it under a launcher, e.g.
//   build/nnlab launch --nproc 2 -- build/bench/bench_allreduce_bandwidth
// Rank 0 prints one JSON line per message size: the median time of 20 all-reduces and the bus
// bandwidth, 2 (N - 1) / N * bytes / time (the traffic of a ring all-reduce per process).
#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <iostream>
#include <nlohmann/json.hpp>
#include <vector>

#include "nnlab/train/process_group.h"

int main() {
  using nnlab::train::DistributedOptions;
  using nnlab::train::ProcessGroup;
  const auto options = DistributedOptions::from_environment();
  auto group = ProcessGroup::connect(options);
  const double n = group->world_size();
  for (std::int64_t bytes = 4 << 10; bytes <= (64 << 20); bytes *= 4) {
    std::vector<torch::Tensor> tensor = {torch::ones({bytes / 4})};
    for (int i = 0; i < 3; ++i) group->all_reduce_sum(tensor);  // warm-up
    std::vector<double> seconds;
    for (int i = 0; i < 20; ++i) {
      group->barrier();
      const auto start = std::chrono::steady_clock::now();
      group->all_reduce_sum(tensor);
      seconds.push_back(
          std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
    }
    std::sort(seconds.begin(), seconds.end());
    const double median = seconds[seconds.size() / 2];
    if (group->rank() == 0) {
      std::cout << nlohmann::json{{"processes", group->world_size()},
                                  {"bytes", bytes},
                                  {"median_ms", median * 1e3},
                                  {"bus_gb_per_s", 2 * (n - 1) / n * bytes / median / 1e9}}
                << std::endl;
    }
  }
  return 0;
}
