#include "nnlab/attack/norm_ball.h"

#include <ATen/CPUGeneratorImpl.h>
#include <torch/torch.h>

#include "nnlab/core/error.h"
#include "nnlab/core/seed.h"

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
  throw core::OptionError("AttackOptions.norm", "unknown norm '" + name + "'; known: linf, l2");
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

torch::Tensor random_start(const torch::Tensor& clean, double eps, Norm norm,
                           const torch::Tensor& keys, std::uint64_t seed, std::uint64_t stream) {
  torch::Tensor d;
  torch::Tensor radius;
  if (!keys.defined()) {
    if (norm == Norm::kLinf) {
      d = torch::empty_like(clean).uniform_(-eps, eps);
    } else {
      d = torch::randn_like(clean);
      radius = torch::rand({clean.size(0)}, clean.options());
    }
  } else {
    TORCH_CHECK(keys.numel() == clean.size(0), "random_start: ", keys.numel(), " keys for ",
                clean.size(0), " images");
    const auto key = keys.to(torch::kCPU, torch::kLong).contiguous();
    const auto* k = key.data_ptr<std::int64_t>();
    d = torch::empty(clean.sizes(), torch::kFloat);
    radius = torch::empty({clean.size(0)}, torch::kFloat);
    for (std::int64_t i = 0; i < clean.size(0); ++i) {
      auto generator = at::make_generator<at::CPUGeneratorImpl>(
          core::mix_seed(seed, static_cast<std::uint64_t>(k[i]), stream));
      if (norm == Norm::kLinf) {
        d[i].uniform_(-eps, eps, generator);
      } else {
        d[i].normal_(0, 1, generator);
        radius[i].uniform_(0, 1, generator);
      }
    }
    d = d.to(clean.options());
    radius = radius.to(clean.options());
  }
  if (norm == Norm::kL2) {
    d = d * per_image(radius * eps / per_image_norm(d, Norm::kL2).clamp_min(1e-12), d);
  }
  return (clean + d).clamp(0, 1);
}

}  // namespace nnlab::attack
