#include "nnlab/attack/early_stop.h"

#include <torch/torch.h>

#include <utility>

#include "nnlab/attack/objective.h"

namespace nnlab::attack {

EarlyStop::EarlyStop(torch::Tensor clean, torch::Tensor labels, bool targeted, bool round_to_8bit,
                     ToSaved to_saved)
    : clean_(std::move(clean)),
      labels_(std::move(labels)),
      targeted_(targeted),
      round_(round_to_8bit),
      to_saved_(std::move(to_saved)) {
  const auto n = clean_.size(0);
  active_ = torch::arange(n, labels_.options().dtype(torch::kLong));
  if (round_) {
    // A copy: saved_ is written in place, and to_saved may hand back its argument itself.
    saved_ = to_saved_(clean_, clean_).clone();
    success_ = torch::zeros({n}, labels_.options().dtype(torch::kBool));
  }
}

void EarlyStop::update(models::Classifier& model, const torch::Tensor& adv) {
  if (!round_ || finished()) return;
  const auto saved =
      to_saved_(adv.index_select(0, active_), clean_.index_select(0, active_)).detach();
  const auto won =
      is_adversarial(logits_of(model, saved), labels_.index_select(0, active_), targeted_);
  saved_.index_copy_(0, active_, saved);
  success_.index_copy_(0, active_, won);
  active_ = active_.masked_select(won.logical_not());
}

AttackResult EarlyStop::finish(models::Classifier& model, const torch::Tensor& adv,
                               bool verdict) const {
  if (round_) return {saved_, success_, {}, {}};
  const auto images = adv.detach();
  if (!verdict) return {images, {}, {}, {}};
  return {images, is_adversarial(logits_of(model, images), labels_, targeted_), {}, {}};
}

}  // namespace nnlab::attack
