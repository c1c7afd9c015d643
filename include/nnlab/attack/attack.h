// The one interface every adversarial attack implements: model, inputs, labels, options ->
// adversarial inputs. Attacks work in [0,1] pixel space (the model normalizes inside), take
// gradients with respect to the input only, and keep the model in eval mode.
#pragma once

#include <torch/types.h>

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "nnlab/models/classifier.h"

namespace nnlab::attack {

struct AttackOptions {
  double epsilon = 8.0 / 255;  // budget in [0,1] pixel units (the CLI takes 0-255 units)
  double step_size = 0;        // 0: the method's default (see each attack)
  int steps = 10;              // iterative attacks
  bool random_start = true;    // PGD
  int restarts = 1;            // PGD: keep the best of several random starts
  std::string norm = "linf";   // PGD: linf | l2
  bool targeted = false;       // labels are target classes: move toward them
  std::string loss = "ce";     // gradient attacks: the loss they ascend (loss.h: ce | dlr | margin)
  double decay = 1.0;          // MI-FGSM momentum decay
  double diversity_prob = 0.5;  // DI-FGSM: probability of the random resize-and-pad transform
  double resize_rate = 0.9;     // DI-FGSM: smallest resize factor
  double cw_c = 1.0;            // C&W: weight of the classification term
  double cw_kappa = 0.0;        // C&W: confidence margin
  double cw_lr = 0.01;          // C&W: Adam learning rate
  int cw_steps = 100;           // C&W: optimization steps
  int cw_binary_steps = 5;      // C&W: binary search steps over c
  double overshoot = 0.02;      // DeepFool
  int candidates = 10;          // DeepFool: classes considered
  int deepfool_steps = 50;      // DeepFool: most linearize-and-step iterations per image
  std::uint64_t seed = 0;       // per-image random choices under image keys (Attack)
  // Rounding-aware: success is judged on the 8-bit image (round(x*255)/255) that will be
  // saved; iterative attacks keep going on the 8-bit grid until the rounded image succeeds or
  // the budget ends. Off: exact real-valued results (the formulas, for tests).
  bool round_to_8bit = true;
  std::int64_t batch_size = 64;  // images per forward/backward
};

// What an attack returns with its own verdict, so that a caller need not re-run the model.
struct AttackResult {
  torch::Tensor images;        // (N,C,H,W) in [0,1]; on the 8-bit grid when options.round_to_8bit
  torch::Tensor success;       // (N) bool: the model's verdict on `images` exactly as returned
                               // (untargeted: argmax != label; targeted: argmax == target);
                               // undefined when the caller did not ask for a verdict
  torch::Tensor clean_logits;  // (N, classes) on the clean images, when the attack computed
                               // them anyway (FGSM's gradient pass); otherwise undefined
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

// "fgsm", "ifgsm" (= "bim"), "pgd" (norm from options), "pgdl2", "mifgsm", "difgsm", "cw",
// "deepfool". Throws core::OptionError("--method", ...) for an unknown name, listing the known.
std::unique_ptr<Attack> make_attack(const std::string& method, const AttackOptions& options);
std::vector<std::string> attack_names();

}  // namespace nnlab::attack
