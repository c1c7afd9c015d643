#include "nnlab/attack/robustness_evaluation.h"

#include <torch/torch.h>

#include <functional>

#include "nnlab/attack/batched_attack.h"
#include "nnlab/report/table.h"

namespace nnlab::attack {

namespace {

AttackSweepOptions sweep_options(const RobustnessOptions& options, const std::string& method,
                                 const std::string& folder) {
  AttackSweepOptions sweep;
  sweep.method = method;
  sweep.attack = options.attack;
  sweep.attack.targeted = false;
  sweep.epsilons = {options.epsilon};
  sweep.output = options.output.empty() ? "" : options.output + "/" + folder;
  sweep.progress = options.progress;
  sweep.context = options.context;
  sweep.group = options.group;
  return sweep;
}

}  // namespace

RobustnessResult evaluate_robustness(models::Classifier& model, const data::Dataset& set,
                                     const RobustnessOptions& options) {
  require_at_least("RobustnessOptions.pgd_steps", options.pgd_steps, 1);
  auto pgd = sweep_options(options, "pgd", "pgd");
  pgd.attack.steps = options.pgd_steps;
  pgd.attack.pgd.restarts = 1;
  const auto autoattack = sweep_options(options, "autoattack", "autoattack");
  // Both attacks made once before any work, so that a bad setting fails at once.
  for (const AttackSweepOptions& sweep : {std::cref(pgd), std::cref(autoattack)}) {
    AttackSettings settings = sweep.attack;
    settings.epsilon = options.epsilon / 255.0;
    make_attack(sweep.method, settings);
  }
  RobustnessResult result;
  auto pgd_run = run_attack_sweep(model, set, pgd);
  auto aa_run = run_attack_sweep(model, set, autoattack);
  result.reports = aa_run.reports;
  if (!result.reports) return result;
  result.pgd = pgd_run.runs.front();
  result.pgd_json = pgd_run.runs_json.front();
  result.autoattack = aa_run.runs.front();
  result.autoattack_json = aa_run.runs_json.front();
  result.adversarial = aa_run.adversarial;
  return result;
}

nlohmann::json RobustnessResult::to_json(const RobustnessOptions& options) const {
  nlohmann::json stages = nlohmann::json::array();
  for (const auto& stage : autoattack.stages) stages.push_back(stage.to_json());
  return {{"epsilon", options.epsilon},
          {"norm", options.attack.norm},
          {"images", autoattack.scores.count},
          {"clean_accuracy", clean_accuracy()},
          {"robust_accuracy", autoattack.scores.adversarial_accuracy},
          {"pgd",
           {{"steps", options.pgd_steps},
            {"robust_accuracy", pgd.scores.adversarial_accuracy},
            {"seconds", pgd.seconds}}},
          {"autoattack",
           {{"version", options.attack.autoattack.version},
            {"robust_accuracy", autoattack.scores.adversarial_accuracy},
            {"seconds", autoattack.seconds},
            {"stages", stages}}}};
}

report::Table robustness_table(const RobustnessResult& result, const RobustnessOptions& options) {
  report::Table table({"evaluation", "accuracy", "seconds"});
  table.add_row({"clean", report::percent(result.clean_accuracy()), ""});
  table.add_row({"PGD-" + std::to_string(options.pgd_steps),
                 report::percent(result.pgd.scores.adversarial_accuracy),
                 report::fixed(result.pgd.seconds, 1)});
  table.add_row({"AutoAttack (" + options.attack.autoattack.version + ")",
                 report::percent(result.autoattack.scores.adversarial_accuracy),
                 report::fixed(result.autoattack.seconds, 1)});
  for (const auto& stage : result.autoattack.stages) {
    table.add_row({"  after " + stage.attack + " (" + std::to_string(stage.broken) + " broken)",
                   report::percent(stage.robust_accuracy), report::fixed(stage.seconds, 1)});
  }
  return table;
}

}  // namespace nnlab::attack
