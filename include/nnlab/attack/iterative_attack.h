// The one loop of the iterative gradient attacks (I-FGSM, PGD, MI-FGSM, DI-FGSM, and what comes
// next, such as APGD): from a start x_0 (x itself, or a random point of the ball),
//   x_{k+1} = Proj_{ball(x, eps) and [0,1]}(x_k + alpha * direction(grad_x J(transform(x_k)))),
// for options.steps steps, with per-image rounding-aware early stopping (early_stop.h) and, when
// restarts() > 1, per image the first restart that succeeds or else the one with the highest J.
// An attack is this loop plus its hooks: where it starts, how a gradient becomes a step
// direction (sign, L2-normalized, momentum), the input transform the gradient is taken through,
// its default step size, and (for adaptive steps) the whole update.
#pragma once

#include <torch/types.h>

#include "nnlab/attack/batched_attack.h"
#include "nnlab/attack/norm_ball.h"
#include "nnlab/attack/objective.h"

namespace nnlab::attack {

class IterativeAttack : public BatchedAttack {
 public:
  // Throws core::OptionError for steps < 1.
  IterativeAttack(AttackOptions options, Norm norm);

  // alpha: options.step_size when set, else default_step_size().
  double step_size() const;
  Norm norm() const { return norm_; }

 protected:
  AttackResult attack_batch(models::Classifier& model, const torch::Tensor& images,
                            const torch::Tensor& labels) final;

  // --- hooks ---
  // alpha when options.step_size is 0.
  virtual double default_step_size() const = 0;
  // Independent runs per image; the best is kept.
  virtual int restarts() const { return 1; }
  // x_0 for this batch. keys: the images' keys (undefined: the default generator); restart: the
  // random stream. Default: the clean images.
  virtual torch::Tensor start(const torch::Tensor& images, const torch::Tensor& keys, int restart);
  // Called before the first step of a run over `images` (state such as momentum starts here);
  // labels: the batch's labels (targets when options.targeted); restart: as in start().
  virtual void begin(models::Classifier& /*model*/, const torch::Tensor& /*images*/,
                     const torch::Tensor& /*labels*/, int /*restart*/) {}
  // The gradient of J at x, the active images' iterates (labels: theirs). With loss: also J at x
  // per image. Default: loss_gradient through transform() with options.loss.
  virtual torch::Tensor gradient(models::Classifier& model, const torch::Tensor& x,
                                 const torch::Tensor& labels, const torch::Tensor& active,
                                 torch::Tensor* loss);
  // Whether next_iterate reads J at x (then gradient() is asked for it).
  virtual bool uses_loss() const { return false; }
  // Whether an image is frozen at its first successful iterate also without rounding (an
  // evaluation attack such as APGD must not lose an adversarial point by stepping on).
  virtual bool keeps_first_success() const { return false; }
  // The step direction from the gradient of the active images; active: their rows in the batch
  // (for per-image state). Default: steepest ascent for the norm, sign(g) for Linf and
  // g / ||g||_2 per image for L2.
  virtual torch::Tensor direction(const torch::Tensor& gradient, const torch::Tensor& active);
  // The transform the gradient is taken through (DI-FGSM); none by default.
  virtual InputTransform transform() const { return nullptr; }
  // The next iterate of the active images from x, their clean images, the gradient of J at x and
  // J at x (undefined unless uses_loss()); step counts from 0. Default:
  // Proj_ball(x + step_size() * direction(gradient, active)). An attack that adapts its step per
  // image and step (APGD) overrides this and keeps its state, started in begin().
  virtual torch::Tensor next_iterate(const torch::Tensor& x, const torch::Tensor& clean,
                                     const torch::Tensor& gradient, const torch::Tensor& loss,
                                     const torch::Tensor& active, int step);

 private:
  AttackResult attack_once(models::Classifier& model, const torch::Tensor& images,
                           const torch::Tensor& labels, const torch::Tensor& keys, int restart);

  Norm norm_;
};

// The steepest-ascent direction of a gradient under a norm: sign(g) for Linf, g / ||g||_2 per
// image for L2 (an all-zero gradient stays zero).
torch::Tensor steepest_ascent(const torch::Tensor& gradient, Norm norm);

}  // namespace nnlab::attack
