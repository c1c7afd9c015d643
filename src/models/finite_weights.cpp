#include "nnlab/models/finite_weights.h"

#include <torch/torch.h>

#include "nnlab/core/error.h"

namespace nnlab::models {

void check_finite_weights(const TensorList& tensors, const std::string& source) {
  for (const auto& [name, tensor] : tensors) {
    if (!tensor.defined() || !tensor.is_floating_point() || tensor.numel() == 0) continue;
    if (torch::isfinite(tensor).all().item<bool>()) continue;
    const auto nan = torch::isnan(tensor).sum().item<std::int64_t>();
    const auto inf = torch::isinf(tensor).sum().item<std::int64_t>();
    std::string what;
    if (nan > 0) what = std::to_string(nan) + " NaN";
    if (inf > 0) what += (what.empty() ? "" : " and ") + std::to_string(inf) + " infinite";
    throw core::FileError(source, "tensor '" + name + "' holds " + what +
                                      " value(s) (a training run that diverged, or a damaged "
                                      "file)");
  }
}

}  // namespace nnlab::models
