// Training throughput (images/s) of nnlab's Trainer: Trainer::fit on the first --images
// Fashion-MNIST training images, progress off and no test split, so what is timed is the
// product's own epoch loop (shuffle, batch gather, forward, loss, backward, optimizer step, loss
// and accuracy bookkeeping). One warm-up epoch (allocator, oneDNN primitives) is not counted;
// images/s is the median over the timed epochs of what Trainer reports, and images per CPU-second
// (user + system time of all threads) is the load-independent companion of that wall-clock rate.
//
// Its peer is bench/train_throughput.py, the same loop in PyTorch Python;
// bench/run_train_throughput.sh runs the two interleaved and prints the ratio.
//
//   bench_train_throughput [--arch lenet5] [--batch-size 64] [--optimizer sgd] [--lr 0.01]
//                          [--threads 2] [--images 6400] [--epochs 3] [--data DIR]
//                          [--precision fp32|bf16]
// prints one JSON object on stdout.
#include <sys/resource.h>
#include <torch/torch.h>

#include <algorithm>
#include <cstdlib>
#include <iostream>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>
#include <vector>

#include "nnlab/core/runtime.h"
#include "nnlab/data/idx.h"
#include "nnlab/models/registry.h"
#include "nnlab/train/trainer.h"

namespace {

struct BenchOptions {
  std::string arch = "lenet5";
  std::string precision = "fp32";
  std::int64_t batch_size = 64;
  std::string optimizer = "sgd";  // sgd (momentum 0.9) | adam
  double lr = 0.01;
  int threads = 2;
  std::int64_t images = 6400;  // per epoch
  int epochs = 3;              // timed, after one warm-up epoch
  std::string data = nnlab::data::kFashionMnistDir;
  std::int64_t seed = 0;
};

BenchOptions parse(int argc, char** argv) {
  BenchOptions o;
  for (int i = 1; i < argc; ++i) {
    const std::string flag = argv[i];
    if (flag == "-h" || flag == "--help") {
      std::cout << "bench_train_throughput [--arch A] [--batch-size N] [--optimizer sgd|adam] "
                   "[--lr X] [--threads N] [--images N] [--epochs N] [--data DIR] [--seed N] "
                   "[--precision fp32|bf16]\n";
      std::exit(0);
    }
    if (i + 1 >= argc) throw std::invalid_argument(flag + ": expected a value");
    const std::string value = argv[++i];
    if (flag == "--arch") {
      o.arch = value;
    } else if (flag == "--precision") {
      o.precision = value;
    } else if (flag == "--batch-size") {
      o.batch_size = std::stoll(value);
    } else if (flag == "--optimizer") {
      o.optimizer = value;
    } else if (flag == "--lr") {
      o.lr = std::stod(value);
    } else if (flag == "--threads") {
      o.threads = std::stoi(value);
    } else if (flag == "--images") {
      o.images = std::stoll(value);
    } else if (flag == "--epochs") {
      o.epochs = std::stoi(value);
    } else if (flag == "--data") {
      o.data = value;
    } else if (flag == "--seed") {
      o.seed = std::stoll(value);
    } else {
      throw std::invalid_argument("unknown flag '" + flag + "'");
    }
  }
  if (o.epochs < 1) throw std::invalid_argument("--epochs: must be >= 1");
  return o;
}

// What the kernel accounted to the process (all its threads). CPU time counts only the work we
// did, whereas wall time counts also the time other processes held our cores; the split into
// user and system time, the page faults and the context switches show where system time goes
// (allocator churn faults pages in; thread-pool hand-offs switch context).
struct Usage {
  double user_seconds = 0;
  double system_seconds = 0;
  double minor_faults = 0;
  double context_switches = 0;  // voluntary + involuntary
};

Usage usage_now() {
  rusage r{};
  getrusage(RUSAGE_SELF, &r);
  const auto seconds = [](const timeval& t) {
    return static_cast<double>(t.tv_sec) + 1e-6 * static_cast<double>(t.tv_usec);
  };
  return {seconds(r.ru_utime), seconds(r.ru_stime), static_cast<double>(r.ru_minflt),
          static_cast<double>(r.ru_nvcsw + r.ru_nivcsw)};
}

double median(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  const auto n = values.size();
  return n % 2 == 1 ? values[n / 2] : 0.5 * (values[n / 2 - 1] + values[n / 2]);
}

const char* env_or(const char* name, const char* fallback) {
  const char* value = std::getenv(name);
  return value != nullptr ? value : fallback;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    const BenchOptions options = parse(argc, argv);
    const auto device = nnlab::core::init_runtime({options.threads, options.seed, "cpu"});

    auto split = nnlab::data::load_idx_dir(options.data);
    split.train = split.train.head(options.images);
    split.test = {};

    auto model = nnlab::models::create_model(options.arch);
    model.to(device);
    const auto precision = nnlab::core::resolve_precision(options.precision, false);
    model.set_precision(precision);
    nnlab::train::TrainOptions train;
    train.epochs = 1;
    train.batch_size = options.batch_size;
    train.optimizer = options.optimizer;
    train.lr = options.lr;
    train.momentum = 0.9;
    train.seed = options.seed;
    train.progress = false;
    // Warm-up: allocator, thread pool, oneDNN primitives. A second Trainer then continues on the
    // warmed-up model (with a fresh optimizer, which costs nothing measurable).
    nnlab::train::Trainer(model, train).fit(split);
    train.epochs = options.epochs;
    nnlab::train::Trainer trainer(model, train);
    const Usage before = usage_now();
    const auto result = trainer.fit(split);
    const Usage after = usage_now();
    const double user = after.user_seconds - before.user_seconds;
    const double system = after.system_seconds - before.system_seconds;
    const double steps = static_cast<double>((split.train.size() + options.batch_size - 1) /
                                             options.batch_size * options.epochs);

    std::vector<double> rates;
    for (const auto& epoch : result.history) rates.push_back(epoch.images_per_second);
    const double images = static_cast<double>(split.train.size() * options.epochs);
    const nlohmann::json out = {
        {"impl", "nnlab"},
        {"arch", options.arch},
        {"precision", nnlab::core::to_string(precision)},
        {"batch_size", options.batch_size},
        {"optimizer", options.optimizer},
        {"lr", options.lr},
        {"threads", at::get_num_threads()},
        {"images_per_epoch", split.train.size()},
        {"epochs_timed", rates.size()},
        {"epoch_images_per_second", rates},
        {"images_per_second", median(rates)},
        {"cpu_seconds", user + system},
        {"images_per_cpu_second", images / (user + system)},
        {"system_time_fraction", system / (user + system)},
        {"minor_faults_per_step", (after.minor_faults - before.minor_faults) / steps},
        {"context_switches_per_step", (after.context_switches - before.context_switches) / steps},
        {"final_train_loss", result.history.back().train_loss},
        {"omp_wait_policy", env_or("OMP_WAIT_POLICY", "unset")}};
    std::cout << out.dump() << std::endl;
    return 0;
  } catch (const std::exception& e) {
    const std::string message = e.what();
    std::cerr << "bench_train_throughput: error: " << message.substr(0, message.find('\n'))
              << std::endl;
    return 1;
  }
}
