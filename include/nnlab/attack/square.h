// Square Attack (Andriushchenko, Croce, Flammarion & Hein, "Square Attack: a query-efficient
// black-box adversarial attack via random search", ECCV 2020; reference code fra31/auto-attack,
// autoattack/square.py), Linf and L2: a score-based black box that calls only the model's forward
// pass (under torch::NoGradGuard), never a gradient. From a start on the boundary of the ball it
// proposes, at each query, a change of the current best image in one random square window and
// keeps it only where the margin loss  z_y - max_{i != y} z_i  (targeted: max_{i != t} z_i - z_t)
// falls, or where the image succeeds. The window covers a share p of the image, halved by the
// reference's piecewise schedule over the query count (p_selection), so that it shrinks from
// p_init of the image to p_init / 512.
//   Linf: start from vertical stripes (x + eps * s, one random sign per column and channel); a
//     proposal sets the window to the opposite corner x +- eps, one random sign per channel.
//   L2: start from a 5x5 grid of blocks, each the reference's centred pattern eta(s) (nested
//     rectangles weighted 1/k^2, the top half positive, the bottom negative) times a random sign
//     per channel, scaled to ||d|| = eps; a proposal moves the mass of a second window into the
//     first, adds a fresh eta pattern there and rescales the whole perturbation to eps.
//
// Queries: every forward pass of an image counts as one query for it, the first evaluation (of
// the start) included; an image leaves the batch as soon as it succeeds, so the returned
// AttackResult::queries is the count at its first success, and never more than
// queries x restarts. With options.round_to_8bit every query evaluates the 8-bit image that would
// be returned (quantize_in_ball), so success is judged on what is saved.
//
// Differences from the reference: each image draws its own window positions, signs and pattern
// orientations from a generator keyed by (options.seed, its image key, the restart) — the
// reference draws one window for the whole batch — so results do not depend on the batching; a
// window's corner is drawn from all positions where it fits (the reference's random_int never
// draws the last one); the L2 start's grid skips blocks that would not fit the image (the
// reference assumes they fit); the verdict is the model's argmax, not margin <= 0 (they differ
// only on ties); an image that fails every restart gets its lowest-margin image, not the clean one.
#pragma once

#include <string>

#include "nnlab/attack/batched_attack.h"
#include "nnlab/attack/norm_ball.h"

namespace nnlab::attack {

struct SquareOptions {
  int queries = 5000;   // model queries per image and restart, the first evaluation included
  double p_init = 0.8;  // the share of the image the first windows cover (the schedule's start)
  int restarts = 1;     // runs from a fresh start on the images still robust
};

class Square : public BatchedAttack {
 public:
  // Throws core::OptionError for queries < 1, p_init outside (0, 1], restarts < 1, or an unknown
  // norm.
  explicit Square(AttackOptions options, SquareOptions square = {});
  std::string name() const override { return "square"; }

  // The reference's schedule: p at the 0-based iteration `iteration` (the query after the first)
  // of a run of `queries` queries. The iteration is rescaled to a run of 10,000 and p halves at
  // 10, 50, 200, 500, 1000, 2000, 4000, 6000 and 8000.
  static double p_selection(double p_init, int iteration, int queries);
  // The side of the square window for p on an h x w image of c channels: round(sqrt(p h w)), at
  // least 1 (L2: at least 3 and odd), at most min(h, w).
  static std::int64_t window_size(double p, std::int64_t h, std::int64_t w, Norm norm);

 protected:
  AttackResult attack_batch(models::Classifier& model, const torch::Tensor& images,
                            const torch::Tensor& labels) override;

 private:
  struct Run;
  Run single_run(models::Classifier& model, const torch::Tensor& clean, const torch::Tensor& goals,
                 const torch::Tensor& keys, int restart) const;

  SquareOptions square_;
  Norm norm_;
};

}  // namespace nnlab::attack
