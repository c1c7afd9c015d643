#include "nnlab/attack/pgd.h"

#include <torch/torch.h>

#include <utility>

#include "nnlab/attack/early_stop.h"
#include "nnlab/attack/objective.h"
#include "nnlab/attack/pixel_grid.h"

namespace nnlab::attack {

Pgd::Pgd(AttackOptions options)
    : BatchedAttack(std::move(options)), norm_(parse_norm(options_.norm)) {
  require_at_least("--steps", options_.steps, 1);
  require_at_least("--restarts", options_.restarts, 1);
}

double Pgd::step_size() const {
  return options_.step_size > 0 ? options_.step_size : 2.5 * options_.epsilon / options_.steps;
}

AttackResult Pgd::attack_once(models::Classifier& model, const torch::Tensor& images,
                              const torch::Tensor& labels, const torch::Tensor& keys, int restart) {
  const auto eps = options_.epsilon;
  const auto alpha = step_size();
  const auto norm = norm_;
  EarlyStop stop(images, labels, options_.targeted, options_.round_to_8bit,
                 [eps, norm](const torch::Tensor& adv, const torch::Tensor& clean) {
                   return quantize_in_ball(adv, clean, eps, norm);
                 });
  auto adversarial = options_.random_start ? random_start(images, eps, norm, keys, options_.seed,
                                                          static_cast<std::uint64_t>(restart))
                                           : images.clone();
  for (int step = 0; step < options_.steps && !stop.finished(); ++step) {
    const auto active = stop.active();
    const auto x = adversarial.index_select(0, active);
    auto grad = loss_gradient(model, x, labels.index_select(0, active), loss_);
    if (norm == Norm::kLinf) {
      grad = grad.sign();
    } else {
      std::vector<std::int64_t> shape(grad.dim(), 1);
      shape[0] = grad.size(0);
      grad = grad / per_image_norm(grad, Norm::kL2).clamp_min(1e-12).view(shape);
    }
    adversarial.index_copy_(
        0, active, project_to_ball(x + alpha * grad, images.index_select(0, active), eps, norm));
    stop.update(model, adversarial);
  }
  return stop.finish(model, adversarial, verdict_ || options_.restarts > 1);
}

AttackResult Pgd::attack_batch(models::Classifier& model, const torch::Tensor& images,
                               const torch::Tensor& labels) {
  auto best = attack_once(model, images, labels, batch_keys_, 0);
  if (options_.restarts == 1) return best;
  auto best_loss = loss_(logits_of(model, best.images), labels);
  for (int restart = 1; restart < options_.restarts; ++restart) {
    const auto open = best.success.logical_not().nonzero().flatten();
    if (open.numel() == 0) break;
    const auto sub_labels = labels.index_select(0, open);
    const auto trial = attack_once(
        model, images.index_select(0, open), sub_labels,
        batch_keys_.defined() ? batch_keys_.index_select(0, open.to(torch::kCPU)) : torch::Tensor(),
        restart);
    const auto loss = loss_(logits_of(model, trial.images), sub_labels);
    // `open` holds only failures so far: a success, or else a higher loss, is better.
    const auto better = trial.success.logical_or(loss > best_loss.index_select(0, open));
    const auto rows = open.masked_select(better);
    best.images.index_copy_(0, rows, trial.images.index_select(0, better.nonzero().flatten()));
    best.success.index_copy_(0, rows, trial.success.masked_select(better));
    best_loss.index_copy_(0, rows, loss.masked_select(better));
  }
  return best;
}

}  // namespace nnlab::attack
