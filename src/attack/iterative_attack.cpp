#include "nnlab/attack/iterative_attack.h"

#include <torch/torch.h>

#include <utility>
#include <vector>

#include "nnlab/attack/early_stop.h"
#include "nnlab/attack/pixel_grid.h"

namespace nnlab::attack {

torch::Tensor steepest_ascent(const torch::Tensor& gradient, Norm norm) {
  if (norm == Norm::kLinf) return gradient.sign();
  std::vector<std::int64_t> shape(gradient.dim(), 1);
  shape[0] = gradient.size(0);
  // clamp_min: an all-zero gradient must not give 0/0.
  return gradient / per_image_norm(gradient, Norm::kL2).clamp_min(1e-12).view(shape);
}

IterativeAttack::IterativeAttack(AttackOptions options, Norm norm)
    : BatchedAttack(std::move(options)), norm_(norm) {
  require_at_least("AttackOptions.steps", options_.steps, 1);
}

double IterativeAttack::step_size() const {
  return options_.step_size > 0 ? options_.step_size : default_step_size();
}

torch::Tensor IterativeAttack::start(const torch::Tensor& images, const torch::Tensor&, int) {
  return images.clone();
}

torch::Tensor IterativeAttack::direction(const torch::Tensor& gradient, const torch::Tensor&) {
  return steepest_ascent(gradient, norm_);
}

torch::Tensor IterativeAttack::gradient(models::Classifier& model, const torch::Tensor& x,
                                        const torch::Tensor& labels,
                                        const torch::Tensor& /*active*/, torch::Tensor* loss) {
  if (loss == nullptr) return loss_gradient(model, x, labels, loss_, transform());
  torch::Tensor logits;
  auto g = loss_gradient(model, x, labels, loss_, transform(), &logits);
  *loss = loss_(logits, labels);
  return g;
}

torch::Tensor IterativeAttack::next_iterate(const torch::Tensor& x, const torch::Tensor& clean,
                                            const torch::Tensor& gradient,
                                            const torch::Tensor& /*loss*/,
                                            const torch::Tensor& active, int /*step*/) {
  return project_to_ball(x + step_size() * direction(gradient, active), clean, options_.epsilon,
                         norm_);
}

AttackResult IterativeAttack::attack_once(models::Classifier& model, const torch::Tensor& images,
                                          const torch::Tensor& labels, const torch::Tensor& keys,
                                          int restart) {
  const auto eps = options_.epsilon;
  const auto norm = norm_;
  const bool round = options_.round_to_8bit;
  // Without rounding, an attack that keeps its first success is frozen at that real-valued
  // iterate (already in the ball: the identity is its saved image).
  EarlyStop stop(images, labels, options_.targeted, round || keeps_first_success(),
                 [eps, norm, round](const torch::Tensor& adv, const torch::Tensor& clean) {
                   return round ? quantize_in_ball(adv, clean, eps, norm) : adv;
                 });
  auto adversarial = start(images, keys, restart);
  begin(model, images, labels, restart);
  for (int step = 0; step < options_.steps && !stop.finished(); ++step) {
    const auto active = stop.active();
    const auto x = adversarial.index_select(0, active);
    torch::Tensor loss;
    const auto g =
        gradient(model, x, labels.index_select(0, active), active, uses_loss() ? &loss : nullptr);
    adversarial.index_copy_(0, active,
                            next_iterate(x, images.index_select(0, active), g, loss, active, step));
    stop.update(model, adversarial);
  }
  return stop.finish(model, adversarial, verdict_ || restarts() > 1);
}

AttackResult IterativeAttack::attack_batch(models::Classifier& model, const torch::Tensor& images,
                                           const torch::Tensor& labels) {
  auto best = attack_once(model, images, labels, batch_keys_, 0);
  if (restarts() == 1) return best;
  auto best_loss = loss_(logits_of(model, best.images), labels);
  for (int restart = 1; restart < restarts(); ++restart) {
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
