#include "nnlab/attack/pixel_grid.h"

#include <torch/torch.h>

#include <cmath>

#include "nnlab/data/image_io.h"

namespace nnlab::attack {

namespace {

constexpr double kLevels = 255;
// In grid levels: float32 pixels k/255 times 255 are k up to ~1.5e-5, so a bound that is an
// integer in exact arithmetic must not lose its level to float noise. 1e-4 levels is 4e-7 in
// pixel units, far below what a test or a PNG can tell apart.
constexpr double kLevelTolerance = 1e-4;

torch::Tensor quantize_linf(const torch::Tensor& adv, const torch::Tensor& clean, double eps) {
  const auto c = clean.to(torch::kFloat64) * kLevels;
  const auto levels = (adv.to(torch::kFloat64) * kLevels).round();
  const auto lo = (c - eps * kLevels - kLevelTolerance).ceil().clamp_min(0);
  const auto hi = (c + eps * kLevels + kLevelTolerance).floor().clamp_max(kLevels);
  // An empty interval means no 8-bit value is within eps of clean: take the nearest to clean.
  const auto clamped = torch::where(lo <= hi, torch::min(torch::max(levels, lo), hi), c.round());
  // Exact levels k / 255: the one rule maps them to the same values save_image would read back.
  return data::quantize_to_8bit((clamped / kLevels).to(adv.scalar_type()));
}

torch::Tensor quantize_l2(const torch::Tensor& adv, const torch::Tensor& clean, double eps) {
  const auto nearest = quantize_8bit(adv);
  const auto outside =
      per_image_norm(nearest.to(torch::kFloat64) - clean.to(torch::kFloat64), Norm::kL2) > eps;
  if (!outside.any().item<bool>()) return nearest;
  // Rounding each pixel's offset from clean toward zero shrinks every |d_i|, so ||d||_2 too.
  const auto base = (clean.to(torch::kFloat64) * kLevels).round();
  const auto offset = (adv.to(torch::kFloat64) * kLevels - base).trunc();
  const auto toward =
      data::quantize_to_8bit(((base + offset).clamp(0, kLevels) / kLevels).to(adv.scalar_type()));
  std::vector<std::int64_t> shape(adv.dim(), 1);
  shape[0] = adv.size(0);
  return torch::where(outside.view(shape), toward, nearest);
}

}  // namespace

torch::Tensor quantize_8bit(const torch::Tensor& x) {
  return data::quantize_to_8bit(x);
}

bool is_on_8bit_grid(const torch::Tensor& x) {
  const auto levels = x.to(torch::kFloat64) * kLevels;
  return (levels - levels.round()).abs().le(1e-3).all().item<bool>();
}

torch::Tensor quantize_in_ball(const torch::Tensor& adv, const torch::Tensor& clean, double eps,
                               Norm norm) {
  const auto projected = project_to_ball(adv, clean, eps, norm);
  return norm == Norm::kLinf ? quantize_linf(projected, clean, eps)
                             : quantize_l2(projected, clean, eps);
}

}  // namespace nnlab::attack
