#include "nnlab/compress/low_rank.h"

#include <torch/torch.h>

#include <cmath>
#include <stdexcept>

#include "nnlab/core/error.h"
#include "nnlab/models/layer_surgery.h"

namespace nnlab::compress {

namespace {

void check_options(const LowRankOptions& options) {
  if (options.layers.empty())
    throw core::OptionError("LowRankOptions.layers", "name the Linear layers");
  if (options.rank < 0)
    throw core::OptionError("LowRankOptions.rank",
                            "must be positive, got " + std::to_string(options.rank));
  if (options.rank == 0 && options.energy == 0 && options.budget == 0) {
    throw core::OptionError(
        "LowRankOptions.rank",
        "give LowRankOptions.rank, LowRankOptions.energy or LowRankOptions.budget");
  }
  if (options.energy != 0 && !(options.energy > 0 && options.energy <= 1)) {
    throw core::OptionError("LowRankOptions.energy",
                            "must be in (0, 1], got " + std::to_string(options.energy));
  }
  if (options.budget != 0 && !(options.budget > 0 && options.budget < 1)) {
    throw core::OptionError("LowRankOptions.budget",
                            "must be in (0, 1), got " + std::to_string(options.budget));
  }
}

std::int64_t chosen_rank(const LowRankOptions& options, const torch::Tensor& s, std::int64_t out,
                         std::int64_t in) {
  if (options.rank > 0) return options.rank;
  if (options.energy > 0) return rank_for_energy(s, options.energy);
  const auto k = static_cast<std::int64_t>(
      std::floor(options.budget * static_cast<double>(out * in) / static_cast<double>(out + in)));
  if (k < 1) {
    throw core::OptionError("LowRankOptions.budget", "leaves no rank for a " + std::to_string(out) +
                                                         " x " + std::to_string(in) + " layer");
  }
  return k;
}

}  // namespace

std::int64_t rank_for_energy(const torch::Tensor& singular_values, double energy) {
  const auto squares = singular_values.to(torch::kDouble).pow(2);
  const auto cumulative = squares.cumsum(0) / squares.sum();
  // The first index whose cumulative share reaches the target (1e-12: rounding at energy 1).
  const auto below = (cumulative < energy - 1e-12).sum().item<std::int64_t>();
  return std::min<std::int64_t>(below + 1, singular_values.numel());
}

std::vector<FactorizedLayer> factorize_linear(models::Classifier& model,
                                              const LowRankOptions& options) {
  check_options(options);
  const auto module = model.module();
  if (!module)
    throw core::OptionError("factorize_linear.model", "factorization needs a native model");
  std::vector<FactorizedLayer> report;
  for (const auto& path : options.layers) {
    const auto modules = module->named_modules();
    if (!modules.contains(path))
      throw core::OptionError("LowRankOptions.layers", "no layer '" + path + "'");
    const auto* linear = modules[path]->as<torch::nn::Linear>();
    if (linear == nullptr) {
      throw core::OptionError("LowRankOptions.layers",
                              "layer '" + path + "' is not a Linear layer");
    }
    const auto weight = linear->weight.detach();
    const auto bias = linear->bias.defined() ? linear->bias.detach().clone() : torch::Tensor();
    const auto out = weight.size(0), in = weight.size(1);
    auto [u, s, vh] = torch::linalg_svd(weight.to(torch::kDouble), /*full_matrices=*/false);
    const auto rank = chosen_rank(options, s, out, in);
    if (rank > std::min(out, in)) {
      throw core::OptionError("LowRankOptions.rank",
                              "rank " + std::to_string(rank) + " for layer '" + path + "' (" +
                                  std::to_string(out) + " x " + std::to_string(in) +
                                  ") is above min(M, N) = " + std::to_string(std::min(out, in)));
    }
    const auto root = s.slice(0, 0, rank).sqrt();
    const auto first = (root.unsqueeze(1) * vh.slice(0, 0, rank)).to(weight.dtype());
    const auto second = (u.slice(1, 0, rank) * root.unsqueeze(0)).to(weight.dtype());
    const double energy_kept = (s.slice(0, 0, rank).pow(2).sum() / s.pow(2).sum()).item<double>();

    const models::LayerEdit edit{"factorize", path, rank, false};
    models::apply_edit(*module, edit);
    model.info().edits.push_back(edit);
    const auto edited = module->named_modules();
    auto* v = edited[path + ".0"]->as<torch::nn::Linear>();
    auto* w = edited[path + ".1"]->as<torch::nn::Linear>();
    {
      torch::NoGradGuard no_grad;
      v->weight.set_data(first.to(weight.device()).contiguous());
      w->weight.set_data(second.to(weight.device()).contiguous());
      if (bias.defined()) w->bias.set_data(bias);
    }
    const std::int64_t bias_count = bias.defined() ? out : 0;
    report.push_back(
        {path, out, in, rank, out * in + bias_count, rank * (out + in) + bias_count, energy_kept});
  }
  return report;
}

}  // namespace nnlab::compress
