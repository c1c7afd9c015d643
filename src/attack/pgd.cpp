#include "nnlab/attack/pgd.h"

#include <utility>

namespace nnlab::attack {

Pgd::Pgd(AttackOptions options) : IterativeAttack(options, parse_norm(options.norm)) {
  require_at_least("--restarts", options_.restarts, 1);
}

double Pgd::default_step_size() const {
  return 2.5 * options_.epsilon / options_.steps;
}

torch::Tensor Pgd::start(const torch::Tensor& images, const torch::Tensor& keys, int restart) {
  if (!options_.random_start) return images.clone();
  return random_start(images, options_.epsilon, norm(), keys, options_.seed,
                      static_cast<std::uint64_t>(restart));
}

}  // namespace nnlab::attack
