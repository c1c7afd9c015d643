#include "nnlab/attack/pgd.h"

#include <utility>

namespace nnlab::attack {

Pgd::Pgd(AttackOptions options, PgdOptions pgd)
    : IterativeAttack(options, parse_norm(options.norm)), pgd_(pgd) {
  require_at_least("PgdOptions.restarts", pgd_.restarts, 1);
}

double Pgd::default_step_size() const {
  return 2.5 * options_.epsilon / options_.steps;
}

torch::Tensor Pgd::start(const torch::Tensor& images, const torch::Tensor& keys, int restart) {
  if (!pgd_.random_start) return images.clone();
  return random_start(images, options_.epsilon, norm(), keys, options_.seed,
                      static_cast<std::uint64_t>(restart));
}

}  // namespace nnlab::attack
