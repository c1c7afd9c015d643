// Auto-PGD (Croce & Hein, "Reliable evaluation of adversarial robustness with an ensemble of
// diverse parameter-free attacks", ICML 2020; reference code fra31/auto-attack), Linf and L2: PGD
// with momentum whose step size needs no tuning. From a random start x_0, with eta_0 = 2 eps:
//   z_{k+1} = Proj(x_k + eta_k s(grad J(x_k)))
//   x_{k+1} = Proj(x_k + a (z_{k+1} - x_k) + (1 - a)(x_k - x_{k-1})),  a = 1 at k = 0, else 0.75,
// s = sign for Linf, g / ||g||_2 for L2. At checkpoints (the first after 22% of the steps, then
// every step count 3% shorter, at least 6%), per image, the step halves and the iterate goes back
// to the highest-loss point found when either: the loss rose on at most rho of the steps since the
// last checkpoint, or the step was not halved at the last checkpoint and the best loss has not
// grown since. An image is frozen at its first successful iterate (on the 8-bit grid with
// rounding, else the real-valued one), as the reference keeps x_best_adv.
//
// APGD-T (target_classes = k > 0): untargeted success, reached by ascending the targeted DLR loss
// toward each of the k most likely wrong classes in turn (ranked on the clean image), k runs of
// `restarts` each on the images still robust — AutoAttack's second stage (k = 9). Targeted
// DLR needs 4 classes: a 3-class model gets the targeted cross-entropy instead.
//
// Differences from the reference (docs/BENCHMARKS.md compares the robust accuracies with
// torchattacks' port of it): the random start is PGD's (uniform in the ball, drawn per image from
// options.seed and the image's key); the first checkpoint's oscillation count compares the first
// step's loss with the start's (the reference compares it with 0, an artefact of Python's index
// -1); `steps` counts gradient evaluations (the reference evaluates one more, at the last
// iterate, whose success the early stop here checks as well).
#pragma once

#include <string>
#include <vector>

#include "nnlab/attack/iterative_attack.h"

namespace nnlab::attack {

// ApgdOptions::target_classes for AutoAttack's default: 9 targets, or all wrong classes of a
// model with fewer than 10.
constexpr int kAutoTargets = -1;

struct ApgdOptions {
  double rho = 0.75;       // checkpoint test: the share of steps that must have raised the loss
  double momentum = 0.75;  // a: the weight of the new gradient step against the last move
  int restarts = 1;        // random starts per image (per target with target_classes)
  int target_classes = 0;  // APGD-T: attack toward each of the k most likely wrong classes
                           // (0: untargeted APGD; kAutoTargets: min(9, classes - 1))
  int eot_iter = 1;        // gradients averaged over this many passes (randomized defenses)
};

class Apgd : public IterativeAttack {
 public:
  // Throws core::OptionError for steps < 1, restarts < 1, eot_iter < 1, rho or momentum outside
  // (0, 1], target_classes < 0, or target_classes > 0 with a targeted run (APGD-T picks its own
  // targets) or with a loss other than the default; a run throws it when the model has no more
  // classes than target_classes.
  explicit Apgd(AttackOptions options, ApgdOptions apgd = {});
  std::string name() const override { return apgd_.target_classes != 0 ? "apgd-t" : "apgd"; }

  // The steps (counted from 0, as next_iterate's) at which the step size is checked, for a run
  // of `steps` steps.
  static std::vector<int> checkpoints(int steps);
  // The last batch's per-image step sizes, and (APGD-T) the current run's targets: for
  // inspection and tests.
  const torch::Tensor& step_sizes() const { return eta_; }
  const torch::Tensor& targets() const { return targets_; }

 protected:
  double default_step_size() const override { return 2 * options_.epsilon; }
  int restarts() const override;
  torch::Tensor start(const torch::Tensor& images, const torch::Tensor& keys, int restart) override;
  void begin(models::Classifier& model, const torch::Tensor& images, const torch::Tensor& labels,
             int restart) override;
  torch::Tensor gradient(models::Classifier& model, const torch::Tensor& x,
                         const torch::Tensor& labels, const torch::Tensor& active,
                         torch::Tensor* loss) override;
  bool uses_loss() const override { return true; }
  bool keeps_first_success() const override { return true; }
  torch::Tensor next_iterate(const torch::Tensor& x, const torch::Tensor& clean,
                             const torch::Tensor& gradient, const torch::Tensor& loss,
                             const torch::Tensor& active, int step) override;

 private:
  ApgdOptions apgd_;
  // Per image of the batch (rows as in `active`).
  torch::Tensor eta_;        // step size
  torch::Tensor previous_;   // the iterate the last step started from
  torch::Tensor last_loss_;  // J at the last iterate
  torch::Tensor best_loss_;  // the highest J so far, and where and with which gradient
  torch::Tensor best_x_;
  torch::Tensor best_gradient_;
  torch::Tensor increases_;     // steps since the last checkpoint on which J rose
  torch::Tensor halved_last_;   // whether the step was halved at the last checkpoint
  torch::Tensor best_at_last_;  // best_loss_ at the last checkpoint
  torch::Tensor targets_;       // APGD-T: this run's target class per image
  int targets_per_image_ = 0;   // APGD-T: target_classes resolved for the model
  bool targeted_dlr_ = true;    // APGD-T: false for a 3-class model (targeted CE instead)
  // The checkpoint schedule of this run.
  int since_checkpoint_ = 0;
  int window_ = 0;
};

}  // namespace nnlab::attack
