#include "nnlab/attack/mifgsm.h"

#include <torch/torch.h>

#include <utility>
#include <vector>

namespace nnlab::attack {

MiFgsm::MiFgsm(AttackOptions options, MiFgsmOptions momentum)
    : IterativeAttack(std::move(options), Norm::kLinf), momentum_options_(momentum) {
  require_at_least("MiFgsmOptions.decay", momentum_options_.decay, 0);
}

double MiFgsm::default_step_size() const {
  return options_.epsilon / options_.steps;
}

void MiFgsm::begin(models::Classifier& /*model*/, const torch::Tensor& images,
                   const torch::Tensor& /*labels*/, int /*restart*/) {
  momentum_ = torch::zeros_like(images);
}

torch::Tensor MiFgsm::direction(const torch::Tensor& gradient, const torch::Tensor& active) {
  std::vector<std::int64_t> per_image(gradient.dim(), 1);
  per_image[0] = gradient.size(0);
  // clamp_min: a saturated softmax can give an all-zero gradient; 0/0 would poison g.
  const auto scale = gradient.abs().flatten(1).mean(1).clamp_min(1e-12).view(per_image);
  const auto g = momentum_options_.decay * momentum_.index_select(0, active) + gradient / scale;
  momentum_.index_copy_(0, active, g);
  return g.sign();
}

}  // namespace nnlab::attack
