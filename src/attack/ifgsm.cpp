#include "nnlab/attack/ifgsm.h"

#include <torch/torch.h>

#include <utility>

#include "nnlab/attack/early_stop.h"
#include "nnlab/attack/objective.h"
#include "nnlab/attack/pixel_grid.h"

namespace nnlab::attack {

Ifgsm::Ifgsm(AttackOptions options) : BatchedAttack(std::move(options)) {
  require_at_least("--steps", options_.steps, 1);
}

double Ifgsm::step_size() const {
  return options_.step_size > 0 ? options_.step_size : 1.25 * options_.epsilon / options_.steps;
}

AttackResult Ifgsm::attack_batch(models::Classifier& model, const torch::Tensor& images,
                                 const torch::Tensor& labels) {
  const auto eps = options_.epsilon;
  const auto alpha = step_size();
  EarlyStop stop(images, labels, options_.targeted, options_.round_to_8bit,
                 [eps](const torch::Tensor& adv, const torch::Tensor& clean) {
                   return quantize_in_ball(adv, clean, eps, Norm::kLinf);
                 });
  auto adversarial = images.clone();
  for (int step = 0; step < options_.steps && !stop.finished(); ++step) {
    const auto active = stop.active();
    const auto x = adversarial.index_select(0, active);
    const auto grad = loss_gradient(model, x, labels.index_select(0, active), loss_);
    adversarial.index_copy_(
        0, active,
        project_to_ball(x + alpha * grad.sign(), images.index_select(0, active), eps, Norm::kLinf));
    stop.update(model, adversarial);
  }
  return stop.finish(model, adversarial, verdict_);
}

}  // namespace nnlab::attack
