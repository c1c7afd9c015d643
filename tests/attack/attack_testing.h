// Shared by the attack tests: a tiny classifier trained in a second on a separable synthetic
// problem, and its data. Three classes of 1x28x28 images on the 8-bit grid: class k has a bright
// horizontal band in rows [9k, 9k + 9) over uniform noise.
#pragma once

#include <ATen/CPUGeneratorImpl.h>
#include <torch/torch.h>

#include <cstdint>

#include "nnlab/attack/attack.h"
#include "nnlab/attack/norm_ball.h"
#include "nnlab/attack/objective.h"
#include "nnlab/attack/pixel_grid.h"
#include "nnlab/attack/registry.h"
#include "nnlab/models/registry.h"

namespace nnlab::attack::testing {

constexpr std::int64_t kClasses = 3;

struct Batch {
  torch::Tensor images;  // (N, 1, 28, 28) on the 8-bit grid
  torch::Tensor labels;  // (N) int64
};

inline Batch make_batch(std::int64_t n, std::uint64_t seed) {
  auto generator = at::make_generator<at::CPUGeneratorImpl>(seed);
  Batch batch;
  batch.labels = torch::randint(0, kClasses, {n}, generator, torch::kLong);
  auto images = torch::rand({n, 1, 28, 28}, generator) * 0.5;
  const auto band_of_row = (torch::arange(28, torch::kFloat32) / 9).floor().clamp_max(kClasses - 1);
  const auto band =
      band_of_row.view({1, 1, 28, 1}).eq(batch.labels.view({n, 1, 1, 1})).to(torch::kFloat32);
  batch.images = quantize_8bit(images + 0.1 * band);
  return batch;
}

// Trained once per test binary; tests that change its mode put it back.
inline models::Classifier& trained_model() {
  static models::Classifier model = [] {
    torch::manual_seed(7);
    auto m = models::create_model("lenet300", {/*num_classes=*/kClasses, 0});
    torch::optim::Adam optimizer(m.parameters(), torch::optim::AdamOptions(1e-3));
    m.train();
    for (int step = 0; step < 60; ++step) {
      const auto batch = make_batch(64, 1000 + step);
      optimizer.zero_grad();
      torch::nn::functional::cross_entropy(m.forward(batch.images), batch.labels).backward();
      optimizer.step();
    }
    m.eval();
    for (auto& p : m.parameters()) p.mutable_grad() = torch::Tensor();  // as a loaded model
    return m;
  }();
  return model;
}

// Correctly classified images of a fresh batch, so that untargeted success means a flip.
inline Batch correct_batch(std::int64_t n, std::uint64_t seed) {
  auto batch = make_batch(n, seed);
  const auto keep =
      logits_of(trained_model(), batch.images).argmax(1).eq(batch.labels).nonzero().flatten();
  return {batch.images.index_select(0, keep), batch.labels.index_select(0, keep)};
}

inline torch::Tensor predicted(const torch::Tensor& images) {
  return logits_of(trained_model(), images).argmax(1);
}

inline double success_rate(const torch::Tensor& images, const torch::Tensor& labels,
                           bool targeted) {
  return is_adversarial(logits_of(trained_model(), images), labels, targeted)
      .to(torch::kFloat64)
      .mean()
      .item<double>();
}

inline AttackOptions exact(AttackOptions options) {
  options.round_to_8bit = false;
  return options;
}

// logits = W flatten(x) + b on 1x4x4 images: the exact distance of an image to each class
// boundary is known in closed form ((z_y - z_j) / ||w_y - w_j||_1 for Linf, when the box [0,1]
// does not bind), so minimum-norm and step-size tests have an exact answer.
struct LinearNetImpl : torch::nn::Module {
  explicit LinearNetImpl(std::int64_t classes) {
    linear = register_module("linear", torch::nn::Linear(16, classes));
  }
  torch::Tensor forward(const torch::Tensor& x) { return linear->forward(x.flatten(1)); }
  torch::nn::Linear linear{nullptr};
};
TORCH_MODULE(LinearNet);

// A hand-made module on 1x4x4 images as a classifier of `classes` classes.
inline models::Classifier small_classifier(torch::nn::AnyModule net, std::int64_t classes) {
  models::ModelInfo info;
  info.arch = "test";
  info.num_classes = classes;
  info.height = 4;
  info.width = 4;
  return models::Classifier(std::move(net), info);
}

}  // namespace nnlab::attack::testing
