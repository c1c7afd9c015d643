#include "nnlab/attack/apgd.h"

#include <torch/torch.h>

#include <algorithm>
#include <utility>
#include <vector>

#include "nnlab/attack/loss.h"
#include "nnlab/core/error.h"

namespace nnlab::attack {

namespace {

// The reference's schedule: the first window 22% of the steps, each next one 3% shorter, never
// under 6% (each at least one step).
struct Schedule {
  int first, shrink, minimum;
  explicit Schedule(int steps)
      : first(std::max(static_cast<int>(0.22 * steps), 1)),
        shrink(std::max(static_cast<int>(0.03 * steps), 1)),
        minimum(std::max(static_cast<int>(0.06 * steps), 1)) {}
  int next(int window) const { return std::max(window - shrink, minimum); }
};

// (N) -> (N, 1, 1, ...) to scale images of x's rank.
torch::Tensor per_image(const torch::Tensor& v, const torch::Tensor& x) {
  std::vector<std::int64_t> shape(x.dim(), 1);
  shape[0] = v.size(0);
  return v.view(shape);
}

}  // namespace

Apgd::Apgd(AttackOptions options, ApgdOptions apgd)
    : IterativeAttack(options, parse_norm(options.norm)), apgd_(apgd) {
  require_at_least("ApgdOptions.restarts", apgd_.restarts, 1);
  require_at_least("ApgdOptions.eot_iter", apgd_.eot_iter, 1);
  require_at_least("ApgdOptions.target_classes", apgd_.target_classes, kAutoTargets);
  if (!(apgd_.rho > 0 && apgd_.rho <= 1)) {
    throw core::OptionError("ApgdOptions.rho",
                            "must be in (0, 1], got " + std::to_string(apgd_.rho));
  }
  if (!(apgd_.momentum > 0 && apgd_.momentum <= 1)) {
    throw core::OptionError("ApgdOptions.momentum",
                            "must be in (0, 1], got " + std::to_string(apgd_.momentum));
  }
  if (apgd_.target_classes != 0 && options_.targeted) {
    throw core::OptionError("ApgdOptions.target_classes",
                            "APGD-T picks its own targets; it cannot run a targeted attack");
  }
  if (apgd_.target_classes != 0 && options_.loss != "ce" && options_.loss != "dlr") {
    throw core::OptionError("AttackOptions.loss",
                            "APGD-T ascends the targeted DLR loss; got '" + options_.loss + "'");
  }
}

std::vector<int> Apgd::checkpoints(int steps) {
  const Schedule schedule(steps);
  std::vector<int> at;
  for (int step = schedule.first, window = schedule.first; step < steps;) {
    at.push_back(step);
    window = schedule.next(window);
    step += window;
  }
  return at;
}

int Apgd::restarts() const {
  return apgd_.restarts * std::max(targets_per_image_, 1);
}

torch::Tensor Apgd::start(const torch::Tensor& images, const torch::Tensor& keys, int restart) {
  // Without image keys, an image's place in its batch keys its draws: like the reference (which
  // seeds torch with its seed), a run is repeatable under options.seed alone.
  const auto k = keys.defined() ? keys : torch::arange(images.size(0), torch::kLong);
  return random_start(images, options_.epsilon, norm(), k, options_.seed,
                      static_cast<std::uint64_t>(restart));
}

void Apgd::begin(models::Classifier& model, const torch::Tensor& images,
                 const torch::Tensor& /*labels*/, int restart) {
  const auto n = images.size(0);
  const auto scalars = images.options().dtype(torch::kFloat);
  eta_ = torch::full({n}, step_size(), scalars);
  previous_ = images.clone();
  last_loss_ = torch::zeros({n}, scalars);
  best_loss_ = torch::zeros({n}, scalars);
  best_x_ = images.clone();
  best_gradient_ = torch::zeros_like(images);
  increases_ = torch::zeros({n}, scalars);
  halved_last_ = torch::ones({n}, images.options().dtype(torch::kBool));
  best_at_last_ = torch::zeros({n}, scalars);
  since_checkpoint_ = 0;
  window_ = Schedule(options_.steps).first;
  if (apgd_.target_classes != 0) {
    const auto logits = logits_of(model, images);
    const auto classes = logits.size(1);
    // Resolved on the first run of a batch, before restarts() is asked how many runs follow.
    targets_per_image_ = apgd_.target_classes == kAutoTargets
                             ? static_cast<int>(std::min<std::int64_t>(9, classes - 1))
                             : apgd_.target_classes;
    if (targets_per_image_ >= classes) {
      throw core::OptionError("ApgdOptions.target_classes",
                              std::to_string(targets_per_image_) + " targets need at least " +
                                  std::to_string(targets_per_image_ + 1) +
                                  " classes; the model has " + std::to_string(classes));
    }
    // Run r attacks toward the (r / restarts + 2)-th most likely class on the clean image.
    const auto rank = restart / apgd_.restarts + 1;
    targets_ = logits.argsort(1, /*descending=*/true).select(1, rank);
    // Targeted DLR needs four classes; with three, the targeted cross-entropy is ascended (the
    // reference's "ce-targeted").
    targeted_dlr_ = classes >= 4;
  }
}

torch::Tensor Apgd::gradient(models::Classifier& model, const torch::Tensor& x,
                             const torch::Tensor& labels, const torch::Tensor& active,
                             torch::Tensor* loss) {
  AttackLoss objective = loss_;
  if (apgd_.target_classes != 0) {
    const auto targets = targets_.index_select(0, active);
    const bool dlr = targeted_dlr_;
    objective = AttackLoss(
        "dlr-t", /*targeted=*/false,
        [targets, dlr](const torch::Tensor& logits, const torch::Tensor& y, const torch::Tensor&) {
          return dlr ? targeted_dlr_loss(logits, y, targets)
                     : -attack::cross_entropy_loss(logits, targets);
        });
  }
  // EOT: with a randomized model or defense, each pass draws anew; the mean estimates the
  // expected gradient (and loss). A deterministic model gives eot_iter equal terms.
  torch::Tensor sum_gradient, sum_loss;
  for (int pass = 0; pass < apgd_.eot_iter; ++pass) {
    torch::Tensor logits;
    auto g = loss_gradient(model, x, labels, objective, transform(), &logits);
    auto l = objective(logits, labels);
    sum_gradient = pass == 0 ? g : sum_gradient + g;
    sum_loss = pass == 0 ? l : sum_loss + l;
  }
  if (loss != nullptr) *loss = (sum_loss / apgd_.eot_iter).to(torch::kFloat);
  return apgd_.eot_iter == 1 ? sum_gradient : sum_gradient / apgd_.eot_iter;
}

torch::Tensor Apgd::next_iterate(const torch::Tensor& x_in, const torch::Tensor& clean,
                                 const torch::Tensor& gradient_in, const torch::Tensor& loss,
                                 const torch::Tensor& active, int step) {
  auto x = x_in;
  auto gradient = gradient_in;
  double a = apgd_.momentum;
  if (step == 0) {
    best_loss_.index_copy_(0, active, loss);
    best_at_last_.index_copy_(0, active, loss);
    best_x_.index_copy_(0, active, x);
    best_gradient_.index_copy_(0, active, gradient);
    a = 1.0;  // the first step has no last move to keep
  } else {
    increases_.index_add_(0, active, (loss > last_loss_.index_select(0, active)).to(loss.dtype()));
    const auto better = loss > best_loss_.index_select(0, active);
    const auto rows = active.masked_select(better);
    const auto which = better.nonzero().flatten();
    best_loss_.index_copy_(0, rows, loss.index_select(0, which));
    best_x_.index_copy_(0, rows, x.index_select(0, which));
    best_gradient_.index_copy_(0, rows, gradient.index_select(0, which));
    if (++since_checkpoint_ == window_) {
      const auto best = best_loss_.index_select(0, active);
      const auto oscillating = increases_.index_select(0, active) <= window_ * apgd_.rho;
      const auto stalled = halved_last_.index_select(0, active).logical_not().logical_and(
          best_at_last_.index_select(0, active) >= best);
      const auto halve = oscillating.logical_or(stalled);
      halved_last_.index_copy_(0, active, halve);
      best_at_last_.index_copy_(0, active, best);
      eta_.index_copy_(
          0, active,
          torch::where(halve, eta_.index_select(0, active) / 2, eta_.index_select(0, active)));
      // Halved images restart from their best point, with its gradient.
      const auto back = per_image(halve, x);
      x = torch::where(back, best_x_.index_select(0, active), x);
      gradient = torch::where(back, best_gradient_.index_select(0, active), gradient);
      increases_.zero_();
      since_checkpoint_ = 0;
      window_ = Schedule(options_.steps).next(window_);
    }
  }
  last_loss_.index_copy_(0, active, loss);
  const auto eps = options_.epsilon;
  const auto eta = per_image(eta_.index_select(0, active), x).to(x.dtype());
  const auto z = project_to_ball(x + eta * steepest_ascent(gradient, norm()), clean, eps, norm());
  const auto last_move = x - previous_.index_select(0, active);
  previous_.index_copy_(0, active, x);
  return project_to_ball(x + a * (z - x) + (1 - a) * last_move, clean, eps, norm());
}

}  // namespace nnlab::attack
