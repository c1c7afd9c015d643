// Achieved GFLOP/s of a VGG-16 forward+backward pass against this machine's measured sgemm peak.
//
//   sgemm peak:  torch::mm of two n x n float32 matrices on all intra-op threads,
//                GFLOP/s = 2 n^3 / t.
//   VGG-16:      forward + backward at 224x224 (no optimizer step). VGG-16 costs 15.47 GMACs
//                per image forward (Simonyan & Zisserman 2015; torchvision's count), so
//                forward FLOPs = 2 x 15.47e9 per image and forward+backward ~ 3 x that (the
//                backward pass computes a gradient for the input and one for the weights of
//                each layer, each as costly as the forward).
//
// --precision bf16 measures both in bfloat16 instead: the product of two bf16 matrices (the
// matrix units' peak through oneDNN) and VGG-16 placed as nnlab runs it in bf16
// (Classifier::set_precision: autocast, channels-last weights and input, float32 master
// weights), so the share is of the bf16 peak.
//
// The two are measured alternately (one gemm round, one VGG step, ...) so that a machine shared
// with other work slows both alike; each is the median of its repetitions.
//
//   bench_vgg16_gflops [--batch 8] [--n 2048] [--repeats 3] [--threads 0] [--precision fp32]
// prints a markdown table on stdout (and, with --json, one JSON object instead).
#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>
#include <vector>

#include "nnlab/core/execution_context.h"
#include "nnlab/core/runtime.h"
#include "nnlab/models/registry.h"

namespace {

constexpr double kVgg16ForwardMacs = 15.47e9;  // per 224x224 image

struct BenchOptions {
  std::int64_t batch = 8;
  std::int64_t n = 2048;
  int repeats = 3;
  int threads = 0;  // 0: all cores
  bool json = false;
  std::string precision = "fp32";  // or bf16
};

BenchOptions parse(int argc, char** argv) {
  BenchOptions o;
  for (int i = 1; i < argc; ++i) {
    const std::string flag = argv[i];
    if (flag == "-h" || flag == "--help") {
      std::cout << "bench_vgg16_gflops [--batch 8] [--n 2048] [--repeats 3] [--threads 0] "
                   "[--precision fp32|bf16] [--json]\n";
      std::exit(0);
    }
    if (flag == "--json") {
      o.json = true;
      continue;
    }
    if (i + 1 >= argc) throw std::invalid_argument(flag + ": expected a value");
    const std::string value = argv[++i];
    if (flag == "--batch") {
      o.batch = std::stoll(value);
    } else if (flag == "--n") {
      o.n = std::stoll(value);
    } else if (flag == "--repeats") {
      o.repeats = std::stoi(value);
    } else if (flag == "--threads") {
      o.threads = std::stoi(value);
    } else if (flag == "--precision") {
      if (value != "fp32" && value != "bf16") {
        throw std::invalid_argument("--precision: expected fp32 or bf16, got '" + value + "'");
      }
      o.precision = value;
    } else {
      throw std::invalid_argument("unknown flag '" + flag + "'");
    }
  }
  if (o.batch < 1 || o.n < 1 || o.repeats < 1) {
    throw std::invalid_argument("--batch, --n and --repeats must be >= 1");
  }
  return o;
}

double median(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  const auto n = values.size();
  return n % 2 == 1 ? values[n / 2] : 0.5 * (values[n / 2 - 1] + values[n / 2]);
}

template <typename F>
double seconds_of(F&& f) {
  const auto start = std::chrono::steady_clock::now();
  f();
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

std::string fixed(double value, int digits) {
  char buffer[64];
  std::snprintf(buffer, sizeof(buffer), "%.*f", digits, value);
  return buffer;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    const BenchOptions options = parse(argc, argv);
    const auto device = nnlab::core::init_runtime({options.threads, /*seed=*/0, "cpu"});

    const bool bf16 = options.precision == "bf16";
    const auto type = bf16 ? torch::kBFloat16 : torch::kFloat;
    const auto a = torch::randn({options.n, options.n}).to(type);
    const auto b = torch::randn({options.n, options.n}).to(type);
    auto c = torch::empty({options.n, options.n}, type);
    // Several products per timed round: a single one is short enough for scheduler noise to show.
    constexpr int kGemmsPerRound = 4;
    auto gemm_round = [&] {
      for (int i = 0; i < kGemmsPerRound; ++i) torch::mm_out(c, a, b);
    };

    auto model = nnlab::models::create_model("vgg16");
    model.to(device);
    model.set_precision(bf16 ? nnlab::core::Precision::kBf16 : nnlab::core::Precision::kFp32);
    model.train();
    const auto images = torch::rand({options.batch, 3, 224, 224});
    const auto labels = torch::randint(0, 1000, {options.batch}, torch::kLong);
    const auto params = model.parameters();
    auto vgg_step = [&] {
      for (auto p : params) p.mutable_grad().reset();
      const auto loss = torch::nn::functional::cross_entropy(model.forward(images), labels);
      loss.backward();
    };

    gemm_round();  // warm-up: thread pool, packing buffers, oneDNN primitives
    vgg_step();
    std::vector<double> gemm_seconds, vgg_seconds;
    for (int r = 0; r < options.repeats; ++r) {
      gemm_seconds.push_back(seconds_of(gemm_round) / kGemmsPerRound);
      vgg_seconds.push_back(seconds_of(vgg_step));
    }

    const double n = static_cast<double>(options.n);
    const double gemm_gflops = 2.0 * n * n * n / median(gemm_seconds) / 1e9;
    const double vgg_flops = 3.0 * 2.0 * kVgg16ForwardMacs * static_cast<double>(options.batch);
    const double vgg_time = median(vgg_seconds);
    const double vgg_gflops = vgg_flops / vgg_time / 1e9;
    const int threads = at::get_num_threads();

    if (options.json) {
      const nlohmann::json out = {
          {"threads", threads},           {"precision", options.precision},
          {"sgemm_n", options.n},         {"sgemm_seconds", gemm_seconds},
          {"sgemm_gflops", gemm_gflops},  {"vgg16_batch", options.batch},
          {"vgg16_seconds", vgg_seconds}, {"vgg16_images_per_second", options.batch / vgg_time},
          {"vgg16_gflops", vgg_gflops},   {"fraction_of_peak", vgg_gflops / gemm_gflops}};
      std::cout << out.dump() << std::endl;
      return 0;
    }
    std::cout << "| measurement (" << threads << " threads, median of " << options.repeats
              << ") | time | GFLOP/s | of " << (bf16 ? "bf16 gemm" : "sgemm") << " peak |\n"
              << "|---|---:|---:|---:|\n"
              << "| " << (bf16 ? "bf16 gemm" : "sgemm") << " peak: torch::mm " << options.n << "x"
              << options.n << (bf16 ? " bfloat16 | " : " float32 | ")
              << fixed(median(gemm_seconds) * 1e3, 1) << " ms | " << fixed(gemm_gflops, 1)
              << " | 100% |\n"
              << "| VGG-16 forward+backward, batch " << options.batch << ", 224x224, "
              << options.precision << " | " << fixed(vgg_time, 2) << " s ("
              << fixed(options.batch / vgg_time, 2) << " img/s) | " << fixed(vgg_gflops, 1) << " | "
              << fixed(100.0 * vgg_gflops / gemm_gflops, 0) << "% |\n";
    return 0;
  } catch (const std::exception& e) {
    const std::string message = e.what();
    std::cerr << "bench_vgg16_gflops: error: " << message.substr(0, message.find('\n'))
              << std::endl;
    return 1;
  }
}
