#include "nnlab/attack/randomized_smoothing.h"

#include <ATen/CPUGeneratorImpl.h>
#include <torch/torch.h>

#include <cmath>
#include <mutex>
#include <utility>

#include "nnlab/core/binomial_bound.h"
#include "nnlab/core/error.h"
#include "nnlab/core/seed.h"
#include "nnlab/models/eval_mode_guard.h"

namespace nnlab::attack {

namespace {

// The noise streams of one image.
constexpr std::uint64_t kSelectionStream = 0;
constexpr std::uint64_t kEstimationStream = 1;
constexpr std::uint64_t kPredictionStream = 2;

// A generator on the device the noise is drawn on. The CPU gets a fresh one; another device's
// generator type lives in that backend's headers, so its default generator is reseeded instead.
at::Generator noise_generator(const torch::Device& device, std::uint64_t seed) {
  if (device.is_cpu()) return at::make_generator<at::CPUGeneratorImpl>(seed);
  auto generator = at::globalContext().defaultGenerator(device);
  std::lock_guard<std::mutex> lock(generator.mutex());
  generator.set_current_seed(seed);
  return generator;
}

// Phi^-1(p), the standard normal quantile.
double normal_quantile(double p) {
  return torch::special::ndtri(torch::tensor(p, torch::kFloat64)).item<double>();
}

}  // namespace

void SmoothingOptions::validate() const {
  if (!(sigma > 0 && std::isfinite(sigma)))
    throw core::OptionError("SmoothingOptions.sigma",
                            "must be a finite number > 0, got " + core::number_text(sigma));
  if (n0 < 1)
    throw core::OptionError("SmoothingOptions.n0", "must be >= 1, got " + std::to_string(n0));
  if (n < 1)
    throw core::OptionError("SmoothingOptions.n", "must be >= 1, got " + std::to_string(n));
  if (!(alpha > 0 && alpha < 1))
    throw core::OptionError("SmoothingOptions.alpha",
                            "must be in (0, 1), got " + core::number_text(alpha));
  if (batch_size < 1)
    throw core::OptionError("SmoothingOptions.batch_size",
                            "must be >= 1, got " + std::to_string(batch_size));
}

RandomizedSmoothing::RandomizedSmoothing(models::Classifier& model, SmoothingOptions options)
    : model_(model), options_(std::move(options)) {
  options_.validate();
}

torch::Tensor RandomizedSmoothing::sample_counts(const torch::Tensor& image, std::int64_t num,
                                                 std::uint64_t generator_seed) {
  TORCH_CHECK(image.dim() == 3, "randomized smoothing: expected one (C,H,W) image, got ",
              image.sizes());
  torch::NoGradGuard no_grad;
  models::EvalModeGuard eval(model_);
  const auto device = model_.device();
  const auto x = image.to(device, torch::kFloat32).unsqueeze(0);
  auto generator = noise_generator(device, generator_seed);
  const auto classes = model_.info().num_classes;
  auto counts = torch::zeros({classes}, torch::TensorOptions(torch::kLong).device(device));
  for (std::int64_t done = 0; done < num; done += options_.batch_size) {
    const auto size = std::min(options_.batch_size, num - done);
    auto noisy = torch::randn({size, x.size(1), x.size(2), x.size(3)}, generator, x.options());
    noisy.mul_(options_.sigma).add_(x);
    const auto predictions = model_.forward(noisy).argmax(1);
    counts += torch::bincount(predictions, /*weights=*/{}, /*minlength=*/classes);
  }
  return counts.cpu();
}

SmoothingCertificate RandomizedSmoothing::certify(const torch::Tensor& image, std::int64_t index) {
  const auto key = static_cast<std::uint64_t>(index);
  SmoothingCertificate certificate;
  const auto selection =
      sample_counts(image, options_.n0, core::mix_seed(options_.seed, key, kSelectionStream));
  certificate.guess = selection.argmax().item<std::int64_t>();
  const auto estimation =
      sample_counts(image, options_.n, core::mix_seed(options_.seed, key, kEstimationStream));
  certificate.count = estimation[certificate.guess].item<std::int64_t>();
  certificate.p_lower = core::clopper_pearson_lower(certificate.count, options_.n, options_.alpha);
  if (certificate.p_lower < 0.5) return certificate;  // abstain
  certificate.prediction = certificate.guess;
  certificate.radius = options_.sigma * normal_quantile(certificate.p_lower);
  return certificate;
}

std::int64_t RandomizedSmoothing::predict(const torch::Tensor& image, std::int64_t index) {
  const auto counts = sample_counts(
      image, options_.n,
      core::mix_seed(options_.seed, static_cast<std::uint64_t>(index), kPredictionStream));
  if (counts.size(0) < 2) return counts.size(0) == 1 ? 0 : kAbstain;
  const auto top2 = counts.topk(2);
  const auto values = std::get<0>(top2);
  const auto count1 = values[0].item<std::int64_t>();
  const auto count2 = values[1].item<std::int64_t>();
  if (core::binomial_test_half(count1, count1 + count2) > options_.alpha) return kAbstain;
  return std::get<1>(top2)[0].item<std::int64_t>();
}

std::vector<double> certified_accuracy(const std::vector<SmoothingCertificate>& certificates,
                                       const std::vector<std::int64_t>& labels,
                                       const std::vector<double>& radii) {
  TORCH_CHECK(certificates.size() == labels.size(), "certified_accuracy: ", certificates.size(),
              " certificates for ", labels.size(), " labels");
  std::vector<double> accuracy;
  for (const double r : radii) {
    std::int64_t certified = 0;
    for (size_t i = 0; i < certificates.size(); ++i) {
      const auto& c = certificates[i];
      if (c.prediction != kAbstain && c.prediction == labels[i] && c.radius >= r) ++certified;
    }
    accuracy.push_back(certificates.empty() ? 0.0
                                            : static_cast<double>(certified) /
                                                  static_cast<double>(certificates.size()));
  }
  return accuracy;
}

train::TrainHooks gaussian_augmentation_hooks(double sigma) {
  if (!(sigma > 0 && std::isfinite(sigma)))
    throw core::OptionError("gaussian_augmentation_hooks.sigma",
                            "must be a finite number > 0, got " + core::number_text(sigma));
  train::TrainHooks hooks;
  hooks.transform_batch = [sigma](models::Classifier&, const torch::Tensor& images,
                                  const torch::Tensor&) {
    return images + sigma * torch::randn_like(images);
  };
  return hooks;
}

}  // namespace nnlab::attack
