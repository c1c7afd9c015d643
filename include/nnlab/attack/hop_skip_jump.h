// HopSkipJumpAttack (Chen, Jordan & Wainwright, "HopSkipJumpAttack: A Query-Efficient
// Decision-Based Attack", IEEE S&P 2020; reference code Jianbo-Lab/HSJA hsja.py, compared with
// Trusted-AI/adversarial-robustness-toolbox's hop_skip_jump.py), Linf and L2, untargeted and
// targeted. Decision-based: the attack sees the model's top-1 label and nothing else, through a
// LabelOracle that counts every query per image. Per image:
//   start: uniform noise in [0,1]^d until it is adversarial, blended toward the clean image by a
//     binary search (to 0.001), then moved to the boundary by the boundary binary search;
//   iteration t = 1, 2, ...: from the boundary point x_t,
//     gradient direction: the mean of +-u_b over n_t = min(init_evals sqrt(t), max_evals) random
//       unit vectors u_b (Gaussian for L2, uniform for Linf), the sign being each probe
//       x_t + delta u_b's decision, minus the mean decision (the baseline) when they differ;
//       delta = 0.1 at t = 1, then gamma d_{t-1} / d (d_{t-1}: the distance of the last step's
//       point before its binary search; d: pixels);
//     step: v = the direction (L2) or its sign (Linf); xi = ||x_t - x*|| / sqrt(t), halved until
//       x_t + xi v is adversarial (the geometric progression);
//     boundary: a binary search on the segment from the clean image x* to that point to within
//       theta = gamma / d^{3/2} (L2, in blend-factor units) or gamma / d^2 (Linf, times the
//       point's Linf distance, in Linf radius units).
// The smallest adversarial point found is kept. With the budget options.epsilon: as soon as it is
// within epsilon the image stops querying and succeeds (options.round_to_8bit: the 8-bit image
// that is returned, pushed a rounding margin past the boundary along the ray from x* and kept in
// the ball, must itself be adversarial: one query); an image that is not within epsilon when its
// iterations or its max_queries run out is returned clean, unsuccessful. An image the model
// already gets wrong (untargeted) or already labels as the target succeeds with one query.
//
// Differences from the reference: the query budget (the reference has none: every phase stops
// for an image once it has no query left, keeping its last adversarial point, and an iteration
// starts only when its full gradient estimate is affordable); the noise search gives up after
// 10,000 draws or when the budget ends (the reference asserts) -- for targeted runs too (the
// reference starts those from an image of the target class, which an Attack is not given); the
// step search gives up after 30 halvings (then the step is not taken); per-image random draws
// from options.seed and the image's key (Attack::set_image_keys), so results do not depend on
// the batching. Vectorized over the batch: all images' probes of a phase go through the model in
// one forward (split only to bound memory).
#pragma once

#include <torch/types.h>

#include <cstdint>
#include <string>

#include "nnlab/attack/batched_attack.h"
#include "nnlab/attack/norm_ball.h"

namespace nnlab::attack {

struct HopSkipJumpOptions {
  std::int64_t max_queries = 10000;  // model queries per image, every phase included
  int iterations = 40;               // the reference's num_iterations
  int init_evals = 100;              // gradient probes at iteration 1 (times sqrt(t) after)
  int max_evals = 10000;             // most gradient probes of one iteration
  double gamma = 1.0;                // binary search threshold: gamma / d^{3/2} (L2), / d^2 (Linf)
};

// The attack's only access to the model: the top-1 decision on images, under NoGradGuard,
// counted per image. Nothing else of the model (logits, probabilities) leaves it.
class LabelOracle {
 public:
  // goals (N) int64 on the model's device: true labels (untargeted) or targets; budget: the most
  // queries any image may spend.
  LabelOracle(models::Classifier& model, torch::Tensor goals, bool targeted, std::int64_t budget);

  // x (M, C, H, W) (clamped to [0,1] first), owner (M) int64: row m queries for image owner[m].
  // Returns (M) bool on x's device: whether each row is adversarial for its image (untargeted:
  // argmax != label; targeted: argmax == target). Throws if a row would take its image past the
  // budget: the attack asks only for what remaining() allows.
  torch::Tensor adversarial(const torch::Tensor& x, const torch::Tensor& owner);
  // (N) int64 on the CPU.
  const torch::Tensor& queries() const { return queries_; }
  torch::Tensor remaining() const { return budget_ - queries_; }

 private:
  models::Classifier& model_;
  torch::Tensor goals_;
  bool targeted_;
  std::int64_t budget_;
  torch::Tensor queries_;
};

class HopSkipJump : public BatchedAttack {
 public:
  // Throws core::OptionError for max_queries, iterations or init_evals < 1, max_evals <
  // init_evals, gamma <= 0, or an unknown norm.
  explicit HopSkipJump(AttackOptions options, HopSkipJumpOptions hsj = {});
  std::string name() const override { return "hsj"; }
  Norm norm() const { return norm_; }

  // The last batch's per-image distance (options.norm) of the smallest adversarial point found,
  // before rounding (infinity where none was found; 0 where the clean image was already
  // adversarial): for inspection and tests. With epsilon 0 no image stops early, so these are the
  // distances the whole query budget reaches.
  const torch::Tensor& distances() const { return distances_; }

 protected:
  AttackResult attack_batch(models::Classifier& model, const torch::Tensor& images,
                            const torch::Tensor& labels) override;

 private:
  HopSkipJumpOptions hsj_;
  Norm norm_;
  torch::Tensor distances_;
};

}  // namespace nnlab::attack
