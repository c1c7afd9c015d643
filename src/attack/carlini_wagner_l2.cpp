#include "nnlab/attack/carlini_wagner_l2.h"

#include <torch/torch.h>

#include <cmath>
#include <limits>
#include <utility>

#include "nnlab/attack/objective.h"
#include "nnlab/attack/pixel_grid.h"

namespace nnlab::attack {

namespace {

// Bounds of the binary search over c, as in Carlini's reference code.
constexpr double kUpperUnset = 1e10;
constexpr double kUpperKnown = 1e9;
// Adam's constants (torch.optim.Adam defaults).
constexpr double kBeta1 = 0.9, kBeta2 = 0.999, kAdamEps = 1e-8;

// (N) largest logit over the classes other than labels_n.
torch::Tensor best_other(const torch::Tensor& logits, const torch::Tensor& labels) {
  const auto own = torch::one_hot(labels, logits.size(1)).to(torch::kBool);
  return logits.masked_fill(own, -std::numeric_limits<double>::infinity()).amax(/*dim=*/1);
}

torch::Tensor label_logit(const torch::Tensor& logits, const torch::Tensor& labels) {
  return logits.gather(1, labels.unsqueeze(1)).squeeze(1);
}

// (N) margin by which the attack still falls short: targeted Z_best_other - Z_t, untargeted
// Z_y - Z_best_other. f = max(shortfall, -kappa); success means shortfall < -kappa.
torch::Tensor shortfall(const torch::Tensor& logits, const torch::Tensor& labels, bool targeted) {
  const auto difference = best_other(logits, labels) - label_logit(logits, labels);
  return targeted ? difference : -difference;
}

torch::Tensor squared_l2(const torch::Tensor& a, const torch::Tensor& b) {
  return (a - b).pow(2).flatten(1).sum(1);
}

}  // namespace

CarliniWagnerL2::CarliniWagnerL2(AttackOptions options, CarliniWagnerL2Options cw)
    : BatchedAttack(std::move(options)), cw_(cw) {
  require_positive("CarliniWagnerL2Options.c", cw_.c);
  require_at_least("CarliniWagnerL2Options.kappa", cw_.kappa, 0);
  require_positive("CarliniWagnerL2Options.lr", cw_.lr);
  require_at_least("CarliniWagnerL2Options.steps", cw_.steps, 1);
  require_at_least("CarliniWagnerL2Options.binary_steps", cw_.binary_steps, 1);
}

AttackResult CarliniWagnerL2::attack_batch(models::Classifier& model, const torch::Tensor& images,
                                           const torch::Tensor& labels) {
  const auto n = images.size(0);
  const auto kappa = cw_.kappa;
  const bool targeted = options_.targeted;
  const auto scalars = images.options();
  std::vector<std::int64_t> per_image(images.dim(), 1);
  per_image[0] = n;

  // 1 - 1e-6 keeps atanh finite for pixels at 0 and 1.
  const auto w_start = torch::atanh((2 * images - 1).clamp(-1 + 1e-6, 1 - 1e-6));
  auto c = torch::full({n}, cw_.c, scalars);
  auto lower = torch::zeros({n}, scalars);
  auto upper = torch::full({n}, kUpperUnset, scalars);
  const auto unchanged = options_.round_to_8bit ? quantize_8bit(images) : images;
  auto best = unchanged.clone();
  auto best_l2 = torch::full({n}, std::numeric_limits<double>::infinity(), scalars);
  auto found = torch::zeros({n}, labels.options().dtype(torch::kBool));

  for (int search = 0; search < cw_.binary_steps; ++search) {
    auto w = w_start.clone();
    auto m = torch::zeros_like(w), v = torch::zeros_like(w);
    auto succeeded = torch::zeros_like(found);
    for (int step = 1; step <= cw_.steps; ++step) {
      auto w_var = w.detach().requires_grad_(true);
      const auto candidate = (torch::tanh(w_var) + 1) / 2;
      const auto logits = model.forward(candidate);
      const auto l2 = squared_l2(candidate, images);
      const auto f = shortfall(logits, labels, targeted).clamp_min(-kappa);
      const auto grad = torch::autograd::grad({(l2 + c * f).sum()}, {w_var})[0];

      // Judge the candidate the loss was computed at: the one that will be saved.
      torch::Tensor saved, saved_logits, saved_l2;
      if (options_.round_to_8bit) {
        saved = quantize_8bit(candidate.detach());
        saved_logits = logits_of(model, saved);
        saved_l2 = squared_l2(saved, images);
      } else {
        saved = candidate.detach();
        saved_logits = logits.detach();
        saved_l2 = l2.detach();
      }
      const auto won = shortfall(saved_logits, labels, targeted) < -kappa;
      succeeded = succeeded.logical_or(won);
      const auto improved = won.logical_and(saved_l2 < best_l2);
      best_l2 = torch::where(improved, saved_l2, best_l2);
      best = torch::where(improved.view(per_image), saved, best);
      found = found.logical_or(won);

      m = kBeta1 * m + (1 - kBeta1) * grad;
      v = kBeta2 * v + (1 - kBeta2) * grad * grad;
      const auto m_hat = m / (1 - std::pow(kBeta1, step));
      const auto v_hat = v / (1 - std::pow(kBeta2, step));
      w = w - cw_.lr * m_hat / (v_hat.sqrt() + kAdamEps);
    }
    // Success: c was large enough, search below it. Failure: raise the floor; without a known
    // upper bound grow c tenfold.
    upper = torch::where(succeeded, torch::min(upper, c), upper);
    lower = torch::where(succeeded, lower, torch::max(lower, c));
    c = torch::where(upper < kUpperKnown, (lower + upper) / 2, c * 10);
  }

  // Never-successful images come back unchanged; their verdict is still measured, since an image
  // the model already gets wrong may not have reached the margin kappa yet is misclassified.
  auto success = found.clone();
  const auto failed = found.logical_not().nonzero().flatten();
  if (failed.numel() > 0) {
    success.index_copy_(0, failed,
                        is_adversarial(logits_of(model, unchanged.index_select(0, failed)),
                                       labels.index_select(0, failed), targeted));
  }
  return {best, success, {}, {}};
}

}  // namespace nnlab::attack
