// Low-rank factorization of Linear layers by truncated SVD (Denton et al. 2014; Xue et al.
// 2013): W (M x N) = U S V^T, kept to the k largest singular values, becomes two layers,
//   V_k' = sqrt(S_k) V_k^T (k x N, no bias)  then  U_k' = U_k sqrt(S_k) (M x k, W's bias),
// k (M + N) parameters instead of M N; the product is the best rank-k approximation of W in the
// Frobenius norm (Eckart-Young). The model is edited in place (models/layer_surgery.h
// "factorize"), so a checkpoint of the result reloads.
#pragma once

#include <torch/types.h>

#include <cstdint>
#include <string>
#include <vector>

#include "nnlab/models/classifier.h"

namespace nnlab::compress {

struct LowRankOptions {
  std::vector<std::string> layers;  // Linear layers by module path ("fc1"); required
  // One of the three chooses k per layer; the first that is set wins.
  std::int64_t rank = 0;  // k itself
  double energy = 0;      // the smallest k keeping this fraction of sum(s_i^2), in (0, 1]
  double budget = 0;      // the largest k with k (M + N) <= budget M N, in (0, 1)
};

struct FactorizedLayer {
  std::string layer;
  std::int64_t out = 0, in = 0, rank = 0;
  std::int64_t params_before = 0, params_after = 0;  // weights and bias
  double energy_kept = 0;                            // sum of the kept s_i^2 over all
};

// The smallest k whose singular values hold `energy` of sum(s_i^2).
std::int64_t rank_for_energy(const torch::Tensor& singular_values, double energy);

// Factorizes each layer in place. Throws core::OptionError when no layer or no rule is given, a
// rule is out of range, a layer is missing or not a Linear, or a rank is above min(M, N).
std::vector<FactorizedLayer> factorize_linear(models::Classifier& model,
                                              const LowRankOptions& options);

}  // namespace nnlab::compress
