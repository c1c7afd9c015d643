#include "nnlab/attack/difgsm.h"

#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <utility>

#include "nnlab/core/error.h"

namespace nnlab::attack {

namespace F = torch::nn::functional;

namespace {

std::int64_t uniform_int(std::int64_t low, std::int64_t high) {  // [low, high]
  return torch::randint(low, high + 1, {1}, torch::kLong).item<std::int64_t>();
}

}  // namespace

DiFgsm::DiFgsm(AttackOptions options, MiFgsmOptions momentum, DiFgsmOptions diversity)
    : MiFgsm(std::move(options), momentum), diversity_(diversity) {
  if (!(diversity_.diversity_prob >= 0 && diversity_.diversity_prob <= 1)) {
    throw core::OptionError("DiFgsmOptions.diversity_prob",
                            "must be in [0,1], got " + std::to_string(diversity_.diversity_prob));
  }
  if (!(diversity_.resize_rate > 0 && diversity_.resize_rate <= 1)) {
    throw core::OptionError("DiFgsmOptions.resize_rate",
                            "must be in (0,1], got " + std::to_string(diversity_.resize_rate));
  }
}

InputTransform DiFgsm::transform() const {
  const auto rate = diversity_.resize_rate;
  const auto probability = diversity_.diversity_prob;
  return
      [rate, probability](const torch::Tensor& x) { return diverse_input(x, rate, probability); };
}

torch::Tensor diverse_input(const torch::Tensor& images, double resize_rate, double probability) {
  if (torch::rand({1}).item<double>() >= probability) return images;
  const auto height = images.size(2), width = images.size(3);
  const auto smallest =
      std::max<std::int64_t>(1, static_cast<std::int64_t>(std::floor(resize_rate * height)));
  // torchattacks draws from [floor(rate * H), H); a rate of 1 leaves only H itself.
  const auto new_height = smallest < height ? uniform_int(smallest, height - 1) : height;
  const auto new_width = std::clamp<std::int64_t>(
      std::llround(static_cast<double>(new_height) * width / height), 1, width);
  const auto resized =
      F::interpolate(images, F::InterpolateFuncOptions()
                                 .size(std::vector<std::int64_t>{new_height, new_width})
                                 .mode(torch::kNearest));
  const auto top = uniform_int(0, height - new_height);
  const auto left = uniform_int(0, width - new_width);
  return F::pad(
      resized,
      F::PadFuncOptions({left, width - new_width - left, top, height - new_height - top}).value(0));
}

}  // namespace nnlab::attack
