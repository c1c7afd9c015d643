#include "nnlab/attack/mifgsm.h"

#include <torch/torch.h>

#include <utility>

#include "nnlab/attack/early_stop.h"
#include "nnlab/attack/pixel_grid.h"

namespace nnlab::attack {

MiFgsm::MiFgsm(AttackOptions options) : BatchedAttack(std::move(options)) {
  require_at_least("--steps", options_.steps, 1);
  require_at_least("--decay", options_.decay, 0);
}

double MiFgsm::step_size() const {
  return options_.step_size > 0 ? options_.step_size : options_.epsilon / options_.steps;
}

AttackResult MiFgsm::attack_batch(models::Classifier& model, const torch::Tensor& images,
                                  const torch::Tensor& labels) {
  const auto eps = options_.epsilon;
  const auto alpha = step_size();
  const auto input_transform = transform();
  EarlyStop stop(images, labels, options_.targeted, options_.round_to_8bit,
                 [eps](const torch::Tensor& adv, const torch::Tensor& clean) {
                   return quantize_in_ball(adv, clean, eps, Norm::kLinf);
                 });
  auto adversarial = images.clone();
  auto momentum = torch::zeros_like(images);
  std::vector<std::int64_t> per_image(images.dim(), 1);
  for (int step = 0; step < options_.steps && !stop.finished(); ++step) {
    const auto active = stop.active();
    const auto x = adversarial.index_select(0, active);
    const auto grad =
        loss_gradient(model, x, labels.index_select(0, active), loss_, input_transform);
    per_image[0] = grad.size(0);
    // clamp_min: a saturated softmax can give an all-zero gradient; 0/0 would poison g.
    const auto scale = grad.abs().flatten(1).mean(1).clamp_min(1e-12).view(per_image);
    const auto g = options_.decay * momentum.index_select(0, active) + grad / scale;
    momentum.index_copy_(0, active, g);
    adversarial.index_copy_(
        0, active,
        project_to_ball(x + alpha * g.sign(), images.index_select(0, active), eps, Norm::kLinf));
    stop.update(model, adversarial);
  }
  return stop.finish(model, adversarial, verdict_);
}

}  // namespace nnlab::attack
