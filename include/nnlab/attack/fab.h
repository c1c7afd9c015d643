// FAB, the Fast Adaptive Boundary attack (Croce & Hein, "Minimally distorted Adversarial Examples
// with a Fast Adaptive Boundary Attack", ICML 2020; reference code fra31/auto-attack,
// autoattack/fab_pt.py, fab_base.py and fab_projections.py, and fra31/fab-attack for the final
// search), Linf and L2: a minimum-norm attack. From the clean image x0 (and, for restarts after
// the first, from a random point at half the budget, or half the best norm found if smaller), per
// image and step:
//   linearize at x: h_k(z) = z_k(x) - z_y(x) + g_k . (z - x), g_k = grad (z_k - z_y)(x), and pick
//     the nearest boundary k = argmin |h_k(x)| / ||g_k||_q (q the dual norm: L1 for Linf, L2 for
//     L2) (FAB-T and targeted runs: the one boundary toward the target);
//   d1, d2: the smallest steps (in the norm) from x and from x0 onto {h_k = 0} inside [0,1]
//     (project_onto_hyperplane below);
//   a = min(||d1|| / (||d1|| + ||d2||), alpha_max), x <- clip((1 - a)(x + eta d1) + a (x0 + eta
//   d2))
//     — the step biased toward the original image;
//   if x is adversarial: keep it when it is the smallest found, then x <- x0 + beta (x - x0).
// Each run ends with the final search of the paper (fra31/fab-attack's
// linear_approximation_search): `final_search` times, the point where z_c - z_y (c: the class of
// the adversarial end) interpolated linearly between the last non-adversarial point (first x0) and
// the best adversarial one is zero replaces one of them: for a linear model, the boundary in one
// step. A point counts as adversarial only with a margin of 1e-5 of its largest logit (FAB's points
// hug the boundary, and float rounding in a batch of another size must not flip the verdict); the
// search aims just past that.
//
// As AutoAttack uses it, success means an adversarial point within the budget: the result is the
// smallest adversarial point found when its norm is at most options.epsilon (up to 1e-6 for float
// rounding), else the clean image (success false). Images the model already gets wrong are
// returned unchanged (success true). Restarts and targets run only on the images not yet broken.
//
// Rounding-aware (options.round_to_8bit): the 8-bit image q(x) of every iterate (and of every
// final-search point) is judged too, and the smallest adversarial q(x) is what is returned, so the
// result is the measured image. Rounding can push a point that lies just past the boundary back
// across it (FAB's points hug the boundary), or bring one just over the budget inside it: the
// real-valued iterates drive the attack, their rounded images only compete for the result.
//
// FAB-T (target_classes = k > 0), AutoAttack's third stage: untargeted success, reached by
// projecting onto the boundary between the true class and each of the k most likely wrong classes
// in turn (ranked on the clean image), k runs of `restarts` each on the images still robust.
// Targeted (options.targeted, labels are targets): the boundary between the target and the
// strongest other class at the current point.
//
// Differences from the reference: the random starts are drawn per image from options.seed and the
// image's key (Attack::set_image_keys; without keys, from its place in the batch); the margin
// above; L1 is not offered.
#pragma once

#include <torch/types.h>

#include <string>
#include <vector>

#include "nnlab/attack/apgd.h"  // kAutoTargets
#include "nnlab/attack/batched_attack.h"
#include "nnlab/attack/norm_ball.h"

namespace nnlab::attack {

struct FabOptions {
  int restarts = 1;        // runs per image (per target with target_classes); later runs start
                           // at a random point
  double alpha_max = 0.1;  // the largest weight of the step from the clean image
  double eta = 1.05;       // overshoot: each step goes this far past the linearized boundary
  double beta = 0.9;       // after a success the iterate moves back to x0 + beta (x - x0)
  int target_classes = 0;  // FAB-T: the k most likely wrong classes in turn (0: untargeted FAB;
                           // kAutoTargets: min(9, classes - 1))
  int final_search = 3;    // steps of the final search at the end of each run (0: none)
};

class Fab : public BatchedAttack {
 public:
  // Throws core::OptionError for steps < 1, restarts < 1, alpha_max outside [0, 1], eta < 1, beta
  // outside (0, 1], final_search < 0, target_classes < kAutoTargets, target_classes with a
  // targeted run (FAB-T picks its own targets), or a norm other than linf and l2; a run throws it
  // when the model has no more classes than target_classes.
  explicit Fab(AttackOptions options, FabOptions fab = {});
  std::string name() const override { return fab_.target_classes != 0 ? "fab-t" : "fab"; }

  // Per run of the last batch (FAB-T), the target class of each image of the batch, -1 where the
  // run did not attack the image: for inspection and tests.
  const std::vector<torch::Tensor>& run_targets() const { return run_targets_; }

 protected:
  AttackResult attack_batch(models::Classifier& model, const torch::Tensor& images,
                            const torch::Tensor& labels) override;

 private:
  FabOptions fab_;
  Norm norm_;
  std::vector<torch::Tensor> run_targets_;
};

// FAB's projection (the reference's projection_linf / projection_l2), vectorized over rows: for
// points x (N, D) in [0,1], hyperplanes w (N, D) . z = b (N), the smallest d in `norm` with
// w . (x + d) = b and x + d in [0,1]^D. Both norms reduce to one monotone piecewise-linear
// equation in a scalar: after flipping the sign so that c = w . x - b >= 0, each pixel moves
// against w until it meets the box, d_i = -sign(w_i) min(lambda, p_i) for Linf and
// d_i = -w_i min(lambda, p_i / |w_i|) for L2 (p_i: the room from x_i to the box face it moves to),
// and lambda solves sum_i |w_i| min(lambda, p_i) = c (Linf), sum_i w_i^2 min(lambda, p_i/|w_i|) = c
// (L2): one sort, cumulative sums and a count find its segment. When the box cannot reach the
// hyperplane, every pixel goes to its face (the nearest the box gets).
torch::Tensor project_onto_hyperplane(const torch::Tensor& x, const torch::Tensor& w,
                                      const torch::Tensor& b, Norm norm);

}  // namespace nnlab::attack
