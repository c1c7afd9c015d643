// The 8-bit pixel grid: what an attack returns is saved as an 8-bit image, so what counts is
// q(x) = round(clamp(x, 0, 1) * 255) / 255. Rounding-aware attacks judge success on q(x), and
// these helpers keep q(x) inside the budget, so that what is saved is what was measured.
#pragma once

#include <torch/types.h>

#include "nnlab/attack/norm_ball.h"

namespace nnlab::attack {

// q(x), in x's dtype: data::quantize_to_8bit, the rounding save_image applies (one rule for
// what is measured and what is saved). NaN becomes 0.
torch::Tensor quantize_8bit(const torch::Tensor& x);

// True when every value is k/255 for an integer k (up to float rounding).
bool is_on_8bit_grid(const torch::Tensor& x);

// The 8-bit image to save for adv under the budget ||q - clean|| <= eps. adv is first projected
// onto the ball, then:
//   Linf: q(adv) clamped to the grid values inside [clean - eps, clean + eps]. When eps * 255 is
//     not an integer (eps = 0.1 is 25.5 levels), rounding could leave the ball by half a level;
//     for clean on the grid the clamp is clean +- floor(eps * 255) / 255. A pixel whose interval
//     holds no grid value (clean off the grid, eps < 1/510) gets the grid value nearest to clean.
//   L2: q(adv) if it is inside the ball; otherwise every pixel is rounded toward clean instead
//     (|q_i - clean_i| <= |adv_i - clean_i|), which cannot leave the ball. Both guarantees hold
//     for clean on the grid (images read from 8-bit files); for other clean images rounding is
//     toward the grid value nearest clean, best effort.
torch::Tensor quantize_in_ball(const torch::Tensor& adv, const torch::Tensor& clean, double eps,
                               Norm norm);

}  // namespace nnlab::attack
