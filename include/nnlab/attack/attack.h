// The one interface every adversarial attack implements: model, inputs, labels, options ->
// adversarial inputs (registry.h makes them by name). Attacks work in [0,1] pixel space (the model
// normalizes inside), take gradients with respect to the input only, and keep the model in eval
// mode.
#pragma once

#include <torch/types.h>

#include <string>
#include <utility>

#include "nnlab/attack/attack_options.h"
#include "nnlab/models/classifier.h"

namespace nnlab::attack {

// What an attack returns with its own verdict, so that a caller need not re-run the model.
struct AttackResult {
  torch::Tensor images;        // (N,C,H,W) in [0,1]; on the 8-bit grid when options.round_to_8bit
  torch::Tensor success;       // (N) bool: the model's verdict on `images` exactly as returned
                               // (untargeted: argmax != label; targeted: argmax == target);
                               // undefined when the caller did not ask for a verdict
  torch::Tensor clean_logits;  // (N, classes) on the clean images, when the attack computed
                               // them anyway (FGSM's gradient pass); otherwise undefined
  torch::Tensor queries;       // (N) int64: model queries spent per image (black-box attacks); undefined otherwise
};

class Attack {
 public:
  virtual ~Attack() = default;
  virtual std::string name() const = 0;
  // images (N,C,H,W) in [0,1] on the model's device; labels (N) int64: the true classes, or the
  // targets when options.targeted. Returns adversarial images of the same shape, in [0,1].
  // Untargeted attacks also attack images the model already gets wrong (skipping them is the
  // caller's choice); the model is in eval mode during the call and gets its mode back after.
  torch::Tensor run(models::Classifier& model, const torch::Tensor& images,
                    const torch::Tensor& labels) {
    return attack(model, images, labels, /*verdict=*/false).images;
  }
  // run() plus the per-image success measured on the returned images.
  AttackResult run_with_report(models::Classifier& model, const torch::Tensor& images,
                               const torch::Tensor& labels) {
    return attack(model, images, labels, /*verdict=*/true);
  }
  // Both in one: verdict false lets the attack skip the forward pass that would only judge its
  // result (success is then undefined). Every forward pass counts: FGSM is one forward and one
  // backward, so a needless forward costs a third of it.
  virtual AttackResult attack(models::Classifier& model, const torch::Tensor& images,
                              const torch::Tensor& labels, bool verdict) = 0;
  // True when attack() fills AttackResult::clean_logits (so a caller need not run the clean
  // images through the model itself).
  virtual bool reports_clean_logits() const { return false; }

  // Keys for the images of the following attack() calls: image i of a call is image keys[i]
  // (int64, any device) of the whole set. An attack's per-image random choices (PGD's random
  // start) are then drawn from a generator keyed by (options.seed, keys[i], restart), so its
  // result depends neither on the batching nor on how the set is split across processes.
  // Undefined (the default): torch's default generator, as torch::manual_seed left it.
  void set_image_keys(torch::Tensor keys) { image_keys_ = std::move(keys); }

 protected:
  torch::Tensor image_keys_;
};

}  // namespace nnlab::attack
