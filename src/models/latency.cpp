#include "nnlab/models/latency.h"

#include <torch/torch.h>

#include <algorithm>
#include <chrono>

#include "nnlab/models/eval_mode_guard.h"

namespace nnlab::models {

Latency measure_latency(Classifier& model, const LatencyOptions& options) {
  TORCH_CHECK(options.batch_size >= 1 && options.runs >= 1 && options.warmup >= 0,
              "measure_latency: batch size and runs must be >= 1, warm-up >= 0");
  const auto& info = model.info();
  EvalModeGuard eval_mode(model);
  torch::NoGradGuard no_grad;
  const auto input = torch::zeros({options.batch_size, info.in_channels, info.height, info.width},
                                  torch::TensorOptions().device(model.device()));
  auto run_once = [&] {
    const auto start = std::chrono::steady_clock::now();
    auto out = model.forward(input);
    (void)out.sum().item<float>();  // waits for asynchronous devices too
    return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start)
        .count();
  };
  for (int i = 0; i < options.warmup; ++i) run_once();
  std::vector<double> times;
  for (int i = 0; i < options.runs; ++i) times.push_back(run_once());
  std::sort(times.begin(), times.end());
  Latency latency;
  latency.batch_size = options.batch_size;
  latency.median_ms = times[times.size() / 2];
  latency.min_ms = times.front();
  latency.images_per_second =
      latency.median_ms > 0 ? 1000.0 * static_cast<double>(options.batch_size) / latency.median_ms
                            : 0;
  return latency;
}

}  // namespace nnlab::models
