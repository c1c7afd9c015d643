#include "nnlab/attack/ifgsm.h"

#include <utility>

namespace nnlab::attack {

Ifgsm::Ifgsm(AttackOptions options) : IterativeAttack(std::move(options), Norm::kLinf) {}

double Ifgsm::default_step_size() const {
  return 1.25 * options_.epsilon / options_.steps;
}

}  // namespace nnlab::attack
