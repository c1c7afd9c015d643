// The threat model of the budgeted attacks: perturbations d with ||d||_p <= eps (p = inf or 2)
// whose image x + d stays in [0,1]. Projection and PGD's random start (Madry et al., "Towards
// Deep Learning Models Resistant to Adversarial Attacks", ICLR 2018).
#pragma once

#include <torch/types.h>

#include <string>

namespace nnlab::attack {

enum class Norm { kLinf, kL2 };

// "linf" | "l2"; throws core::OptionError("AttackOptions.norm", ...) for anything else.
Norm parse_norm(const std::string& name);
std::string norm_name(Norm norm);

// (N) per-image norm of d (N, ...).
torch::Tensor per_image_norm(const torch::Tensor& d, Norm norm);

// The point of {clean + d : ||d|| <= eps} nearest to adv for Linf (clamp each pixel), the radial
// scaling for L2; then clamped to [0,1], which only shrinks |d_i| and so never leaves the ball.
torch::Tensor project_to_ball(const torch::Tensor& adv, const torch::Tensor& clean, double eps,
                              Norm norm);

// PGD's random start. Linf: d ~ U[-eps, eps] per pixel. L2 (as torchattacks' PGDL2): a uniform
// direction (normalized Gaussian) with radius U(0,1) * eps. Clamped to [0,1]. Uses torch's
// default generator; with keys (N, int64), image i's draws come from a generator of its own,
// seeded core::mix_seed(seed, keys[i], stream), the same whatever batch it is in.
torch::Tensor random_start(const torch::Tensor& clean, double eps, Norm norm,
                           const torch::Tensor& keys = {}, std::uint64_t seed = 0,
                           std::uint64_t stream = 0);

}  // namespace nnlab::attack
