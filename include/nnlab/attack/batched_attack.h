// The common frame of the attacks: argument checks, eval mode for the call, gradients enabled,
// and the split into batches of options.batch_size. An attack implements attack_batch().
#pragma once

#include <torch/types.h>

#include <string>

#include "nnlab/attack/attack.h"
#include "nnlab/attack/loss.h"

namespace nnlab::attack {

class BatchedAttack : public Attack {
 public:
  // Throws core::OptionError for a negative epsilon or step size, a batch size below 1 or an
  // unknown loss.
  explicit BatchedAttack(AttackOptions options);

  AttackResult attack(models::Classifier& model, const torch::Tensor& images,
                      const torch::Tensor& labels, bool verdict) final;
  const AttackOptions& options() const { return options_; }

 protected:
  // One batch; the model is already in eval mode and gradients are enabled. May leave success
  // undefined when verdict_ is false.
  virtual AttackResult attack_batch(models::Classifier& model, const torch::Tensor& images,
                                    const torch::Tensor& labels) = 0;

  AttackOptions options_;
  AttackLoss loss_;           // options_.loss in options_.targeted form
  bool verdict_ = true;       // whether the current call wants AttackResult::success
  torch::Tensor batch_keys_;  // the current batch's image keys (undefined without keys)
};

// Throws core::OptionError(option, "must be at least <minimum>, got <value>"); option names the
// field ("AttackOptions.steps").
void require_at_least(const std::string& option, double value, double minimum);
// Throws core::OptionError(option, "must be positive, got <value>").
void require_positive(const std::string& option, double value);

}  // namespace nnlab::attack
