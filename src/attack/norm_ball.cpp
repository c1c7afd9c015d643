#include "nnlab/attack/norm_ball.h"

#include <torch/torch.h>

#include "nnlab/core/error.h"

namespace nnlab::attack {

namespace {

// (N) -> (N, 1, ..., 1) so that a per-image value broadcasts over the image.
torch::Tensor per_image(const torch::Tensor& values, const torch::Tensor& like) {
  std::vector<std::int64_t> shape(like.dim(), 1);
  shape[0] = like.size(0);
  return values.view(shape);
}

}  // namespace

Norm parse_norm(const std::string& name) {
  if (name == "linf") return Norm::kLinf;
  if (name == "l2") return Norm::kL2;
  throw core::OptionError("--norm", "unknown norm '" + name + "'; known: linf, l2");
}

std::string norm_name(Norm norm) {
  return norm == Norm::kL2 ? "l2" : "linf";
}

torch::Tensor per_image_norm(const torch::Tensor& d, Norm norm) {
  const auto flat = d.flatten(/*start_dim=*/1);
  return norm == Norm::kL2 ? flat.norm(2, /*dim=*/1) : flat.abs().amax(/*dim=*/1);
}

torch::Tensor project_to_ball(const torch::Tensor& adv, const torch::Tensor& clean, double eps,
                              Norm norm) {
  auto d = adv - clean;
  if (norm == Norm::kLinf) {
    d = d.clamp(-eps, eps);
  } else {
    // clamp_min: a zero perturbation must not give 0/0.
    const auto scale = (eps / per_image_norm(d, Norm::kL2).clamp_min(1e-12)).clamp_max(1.0);
    d = d * per_image(scale, d);
  }
  return (clean + d).clamp(0, 1);
}

torch::Tensor random_start(const torch::Tensor& clean, double eps, Norm norm) {
  torch::Tensor d;
  if (norm == Norm::kLinf) {
    d = torch::empty_like(clean).uniform_(-eps, eps);
  } else {
    d = torch::randn_like(clean);
    const auto radius = torch::rand({clean.size(0)}, clean.options()) * eps;
    d = d * per_image(radius / per_image_norm(d, Norm::kL2).clamp_min(1e-12), d);
  }
  return (clean + d).clamp(0, 1);
}

}  // namespace nnlab::attack
