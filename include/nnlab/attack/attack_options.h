// The options every attack shares. Each attack's own knobs live in its own options struct beside
// it (PgdOptions in pgd.h, MiFgsmOptions in mifgsm.h, ...); registry.h bundles them all for
// make_attack and the command line.
#pragma once

#include <cstdint>
#include <string>

namespace nnlab::attack {

struct AttackOptions {
  double epsilon = 8.0 / 255;  // budget in [0,1] pixel units (the CLI takes 0-255 units)
  double step_size = 0;        // iterative attacks; 0: the method's default (see each attack)
  int steps = 10;              // iterative attacks
  std::string norm = "linf";   // the ball of budgeted attacks that offer both: linf | l2
  std::string loss = "ce";     // gradient attacks: the loss they ascend (loss.h: ce | dlr | margin)
  bool targeted = false;       // labels are target classes: move toward them
  std::uint64_t seed = 0;      // per-image random choices under image keys (Attack)
  // Rounding-aware: success is judged on the 8-bit image (round(x*255)/255) that will be
  // saved; iterative attacks keep going on the 8-bit grid until the rounded image succeeds or
  // the budget ends (early stopping). Off: exact real-valued results (the formulas, for tests).
  bool round_to_8bit = true;
  std::int64_t batch_size = 64;  // images per forward/backward
};

}  // namespace nnlab::attack
