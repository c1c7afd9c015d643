// The losses a gradient attack ascends, chosen by name. A loss maps logits (N, K) to per-example
// values (N) that grow as the attack gets closer to its goal, so every attack ascends it:
//   "ce"     cross-entropy:  untargeted  CE(z, y);       targeted  -CE(z, t).
//   "dlr"    Difference of Logits Ratio (Croce & Hein, "Reliable evaluation of adversarial
//            robustness with an ensemble of diverse parameter-free attacks", ICML 2020), with
//            z sorted decreasingly as z_pi1 >= z_pi2 >= ...:
//              untargeted  -(z_y - max_{i!=y} z_i) / (z_pi1 - z_pi3 + 1e-12)
//              targeted    -(z_y - z_t) / (z_pi1 - (z_pi3 + z_pi4) / 2 + 1e-12)
//            (invariant to shifting and scaling the logits; needs 3, targeted 4, classes).
//   "margin" the C&W margin (Carlini & Wagner, "Towards Evaluating the Robustness of Neural
//            Networks", S&P 2017, their f_6 without the confidence clamp):
//              untargeted  max_{i!=y} z_i - z_y;        targeted  z_t - max_{i!=t} z_i.
// More can be registered (register_loss); the next attack finds them by name.
#pragma once

#include <torch/types.h>

#include <functional>
#include <string>
#include <utility>
#include <vector>

namespace nnlab::attack {

// logits (N, K); labels (N) int64: the true classes (undefined where the caller knows only the
// targets); targets (N) int64: the target classes of a targeted form (undefined otherwise).
// Returns (N) per-example losses, differentiable in the logits.
using LossFunction = std::function<torch::Tensor(
    const torch::Tensor& logits, const torch::Tensor& labels, const torch::Tensor& targets)>;

// One registered loss: its two forms and a line of help.
struct LossEntry {
  std::string help;
  LossFunction untargeted;
  LossFunction targeted;
};

// A loss picked by name and form, ready to call.
class AttackLoss {
 public:
  AttackLoss() = default;  // cross-entropy, untargeted
  AttackLoss(std::string name, bool targeted, LossFunction function)
      : name_(std::move(name)), targeted_(targeted), function_(std::move(function)) {}
  const std::string& name() const { return name_; }
  bool targeted() const { return targeted_; }
  // goals: the targets for a targeted form, else the labels; labels: the true classes where
  // known (a targeted form such as DLR that needs them checks that they are given).
  torch::Tensor operator()(const torch::Tensor& logits, const torch::Tensor& goals,
                           const torch::Tensor& labels = {}) const;

 private:
  std::string name_ = "ce";
  bool targeted_ = false;
  LossFunction function_;
};

// Adds (or replaces) a loss under `name`. Not thread-safe against concurrent lookups: register at
// start-up (or in a test) before attacks are made.
void register_loss(const std::string& name, LossEntry entry);
// The loss `name` in the targeted or untargeted form. Throws core::OptionError naming
// AttackOptions.loss for an unknown name, listing the known ones.
AttackLoss make_loss(const std::string& name, bool targeted);
// The registered names, sorted.
std::vector<std::string> loss_names();
// The registered loss's help line ("" for an unknown name).
std::string loss_help(const std::string& name);

// The built-in losses, also usable directly (N per-example values).
torch::Tensor cross_entropy_loss(const torch::Tensor& logits, const torch::Tensor& labels);
torch::Tensor dlr_loss(const torch::Tensor& logits, const torch::Tensor& labels);
torch::Tensor targeted_dlr_loss(const torch::Tensor& logits, const torch::Tensor& labels,
                                const torch::Tensor& targets);
torch::Tensor margin_loss(const torch::Tensor& logits, const torch::Tensor& labels);
torch::Tensor targeted_margin_loss(const torch::Tensor& logits, const torch::Tensor& targets);

}  // namespace nnlab::attack
