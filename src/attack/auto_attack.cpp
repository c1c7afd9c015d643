#include "nnlab/attack/auto_attack.h"

#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <utility>

#include "nnlab/attack/objective.h"
#include "nnlab/attack/registry.h"
#include "nnlab/core/error.h"

namespace nnlab::attack {

namespace {

AutoAttackStage stage(std::string label, std::string method, AttackSettings settings) {
  return {std::move(label), std::move(method),
          std::make_shared<const AttackSettings>(std::move(settings))};
}

// APGD as the reference runs it inside AutoAttack: aa.steps iterations, its own loss.
AttackSettings apgd_settings(const AttackSettings& shared, const std::string& loss, int eot_iter) {
  AttackSettings s = shared;
  s.steps = shared.autoattack.steps;
  s.loss = loss;
  s.apgd.eot_iter = eot_iter;
  return s;
}

}  // namespace

std::vector<AutoAttackStage> auto_attack_stages(const AttackSettings& settings) {
  const auto& aa = settings.autoattack;
  if (settings.targeted) {
    throw core::OptionError(
        "AttackOptions.targeted",
        "AutoAttack is untargeted (its targeted stages pick their own targets)");
  }
  require_at_least("AutoAttackOptions.steps", aa.steps, 1);
  require_at_least("AutoAttackOptions.eot_iter", aa.eot_iter, 1);
  std::vector<AutoAttackStage> stages;
  if (aa.version == "standard") {
    stages.push_back(stage("apgd-ce", "apgd", apgd_settings(settings, "ce", 1)));
    stages.push_back(stage("apgd-t", "apgd-t", apgd_settings(settings, "ce", 1)));
    AttackSettings fab = settings;
    fab.steps = aa.steps;
    stages.push_back(stage("fab-t", "fab-t", fab));
    stages.push_back(stage("square", "square", settings));
  } else if (aa.version == "rand") {
    stages.push_back(stage("apgd-ce", "apgd", apgd_settings(settings, "ce", aa.eot_iter)));
    stages.push_back(stage("apgd-dlr", "apgd", apgd_settings(settings, "dlr", aa.eot_iter)));
  } else if (aa.version == "custom") {
    if (aa.attacks.empty()) {
      throw core::OptionError("AutoAttackOptions.attacks",
                              "the custom version needs a list of attacks to run");
    }
    const auto known = attack_names();
    for (const auto& name : aa.attacks) {
      if (name == "autoattack") {
        throw core::OptionError("AutoAttackOptions.attacks", "cannot run autoattack inside itself");
      }
      if (std::find(known.begin(), known.end(), name) == known.end()) {
        std::string list;
        for (const auto& k : known) {
          if (k != "autoattack") list += (list.empty() ? "" : ", ") + k;
        }
        throw core::OptionError("AutoAttackOptions.attacks",
                                "unknown attack '" + name + "'; known: " + list);
      }
      stages.push_back(stage(name, name, settings));
    }
  } else {
    throw core::OptionError("AutoAttackOptions.version",
                            "expected standard, rand or custom, got '" + aa.version + "'");
  }
  return stages;
}

AutoAttack::AutoAttack(const AttackSettings& settings)
    : BatchedAttack(settings), stages_(auto_attack_stages(settings)) {
  for (const auto& s : stages_) attacks_.push_back(make_attack(s.method, *s.settings));
  seconds_.assign(stages_.size(), 0.0);
}

AutoAttack::~AutoAttack() = default;

std::vector<std::string> AutoAttack::stage_names() const {
  std::vector<std::string> names;
  for (const auto& s : stages_) names.push_back(s.label);
  return names;
}

AttackResult AutoAttack::attack_batch(models::Classifier& model, const torch::Tensor& images,
                                      const torch::Tensor& labels) {
  AttackResult result;
  result.clean_logits = logits_of(model, images);
  // Broken so far: what the model already gets wrong needs no attack.
  auto broken = result.clean_logits.argmax(1).ne(labels);
  result.images = images.clone();
  result.stage = torch::full({images.size(0)}, -1, labels.options());
  for (size_t k = 0; k < attacks_.size(); ++k) {
    const auto todo = broken.logical_not().nonzero().view({-1});
    if (todo.numel() == 0) break;
    auto& attack = *attacks_[k];
    attack.set_image_keys(batch_keys_.defined() ? batch_keys_.index_select(0, todo.to(torch::kCPU))
                                                : torch::Tensor());
    const auto started = std::chrono::steady_clock::now();
    const auto out =
        attack.run_with_report(model, images.index_select(0, todo), labels.index_select(0, todo));
    attack.set_image_keys({});
    seconds_[k] +=
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    const auto hit = out.success.to(torch::kBool);
    // The first stage's result is the worst case of an image no stage breaks; a breaking
    // stage's result replaces it.
    const auto keep = k == 0 ? torch::ones_like(hit) : hit;
    const auto rows = todo.index({keep});
    result.images.index_copy_(0, rows, out.images.index({keep}).to(images.dtype()));
    const auto won = todo.index({hit});
    result.stage.index_fill_(0, won, static_cast<std::int64_t>(k));
    broken.index_fill_(0, won, true);
  }
  if (verdict_) result.success = broken;
  return result;
}

}  // namespace nnlab::attack
