// AutoAttack (Croce & Hein, "Reliable evaluation of adversarial robustness with an ensemble of
// diverse parameter-free attacks", ICML 2020; reference code fra31/auto-attack autoattack.py):
// the robustness evaluation RobustBench reports. Attacks run in sequence, each on the images that
// every earlier one failed on; an image counts as robust only if all fail. Versions:
//   standard  APGD-CE (100 steps), APGD-T (DLR, 9 targets x 100 steps), FAB-T (9 targets x 100
//             steps), Square (5,000 queries) - the reference's attacks_to_run for Linf and L2;
//   rand      for randomized models and defenses: APGD-CE and APGD with the DLR loss, each with
//             gradients averaged over 20 draws (EOT);
//   custom    the registered attacks named in AutoAttackOptions::attacks, in that order.
// Each stage is the registered attack of its name (registry.h), made from the shared settings
// with the stage's fixed knobs; all stages share the seed and the image keys, so a result does
// not depend on the batching or on how the set is split across processes. The images the model
// already misclassifies are not attacked (they count as broken, stage -1, returned clean). The
// image returned for an image no stage broke is the first stage's result (APGD-CE's
// highest-loss point, the worst case found); for a broken image, the breaking stage's.
//
// Differences from the reference: every stage is rounding-aware like nnlab's other attacks (with
// AttackOptions::round_to_8bit, an image is broken only when its 8-bit image is, which is the
// image saved); the stages run batch by batch (batch_size) rather than each stage over the whole
// set, which gives the same result because images are independent.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "nnlab/attack/batched_attack.h"

namespace nnlab::attack {

struct AttackSettings;

struct AutoAttackOptions {
  std::string version = "standard";  // standard | rand | custom
  std::vector<std::string> attacks;  // custom: registered attack names, run in this order
  int steps = 100;                   // APGD and FAB iterations (the reference's n_iter)
  int eot_iter = 20;                 // rand: gradients averaged over this many draws
};

// One attack of the sequence: what the report calls it, the registered attack and its settings.
struct AutoAttackStage {
  std::string label;   // "apgd-ce", "apgd-t", "fab-t", "square", "apgd-dlr", ...
  std::string method;  // registered name (make_attack)
  std::shared_ptr<const AttackSettings> settings;
};

// The stages of settings.autoattack's version, from the shared settings. Throws
// core::OptionError("AutoAttackOptions.version", ...) for an unknown version,
// ("AutoAttackOptions.attacks", ...) for a custom list that is empty, names an unknown attack or
// names autoattack itself, and ("AttackOptions.targeted", ...) for a targeted run.
std::vector<AutoAttackStage> auto_attack_stages(const AttackSettings& settings);

class AutoAttack : public BatchedAttack {
 public:
  // Makes every stage now, so that a setting out of a stage's domain fails before any work.
  explicit AutoAttack(const AttackSettings& settings);
  ~AutoAttack() override;
  std::string name() const override { return "autoattack"; }
  bool reports_clean_logits() const override { return true; }
  std::vector<std::string> stage_names() const override;
  std::vector<double> stage_seconds() const override { return seconds_; }

 protected:
  AttackResult attack_batch(models::Classifier& model, const torch::Tensor& images,
                            const torch::Tensor& labels) override;

 private:
  std::vector<AutoAttackStage> stages_;
  std::vector<std::unique_ptr<Attack>> attacks_;
  std::vector<double> seconds_;
};

}  // namespace nnlab::attack
