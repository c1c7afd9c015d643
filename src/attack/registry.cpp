#include "nnlab/attack/registry.h"

#include <algorithm>
#include <mutex>
#include <utility>

#include "nnlab/attack/fgsm.h"
#include "nnlab/attack/ifgsm.h"
#include "nnlab/core/error.h"

namespace nnlab::attack {

namespace {

using Entries = std::vector<std::pair<std::string, AttackEntry>>;

Entries built_in() {
  const std::vector<std::string> iterative = {"epsilon",  "step_size",     "steps",     "loss",
                                              "targeted", "round_to_8bit", "batch_size"};
  const auto with = [&iterative](std::vector<std::string> own) {
    own.insert(own.begin(), iterative.begin(), iterative.end());
    return own;
  };
  return {
      {"fgsm",
       {"Fast Gradient Sign Method: one step to the corner of the Linf ball",
        {"epsilon", "loss", "targeted", "round_to_8bit", "batch_size"},
        [](const AttackSettings& s) { return std::make_unique<Fgsm>(s); }}},
      {"ifgsm",
       {"iterative FGSM (BIM): Linf steps of sign(gradient) from the clean image", with({}),
        [](const AttackSettings& s) { return std::make_unique<Ifgsm>(s); }}},
      {"bim",
       {"= ifgsm", with({}), [](const AttackSettings& s) { return std::make_unique<Ifgsm>(s); }}},
      {"pgd",
       {"projected gradient descent from a random start, Linf or L2 (norm)",
        with({"norm", "seed", "pgd.random_start", "pgd.restarts"}),
        [](const AttackSettings& s) { return std::make_unique<Pgd>(s, s.pgd); }}},
      {"pgdl2",
       {"= pgd with norm l2", with({"seed", "pgd.random_start", "pgd.restarts"}),
        [](const AttackSettings& s) {
          AttackOptions l2 = s;
          l2.norm = "l2";
          return std::make_unique<Pgd>(l2, s.pgd);
        }}},
      {"mifgsm",
       {"momentum iterative FGSM", with({"mifgsm.decay"}),
        [](const AttackSettings& s) { return std::make_unique<MiFgsm>(s, s.mifgsm); }}},
      {"difgsm",
       {"MI-FGSM through random resize-and-pad (diverse inputs)",
        with({"mifgsm.decay", "difgsm.diversity_prob", "difgsm.resize_rate"}),
        [](const AttackSettings& s) { return std::make_unique<DiFgsm>(s, s.mifgsm, s.difgsm); }}},
      {"apgd",
       {"Auto-PGD: PGD with momentum and a self-tuning step (AutoAttack's first stage; loss ce "
        "or dlr), Linf or L2 (norm)",
        with({"norm", "seed", "pgd.restarts", "apgd.rho", "apgd.eot_iter"}),
        [](const AttackSettings& s) {
          ApgdOptions apgd = s.apgd;
          apgd.restarts = s.pgd.restarts;
          apgd.target_classes = 0;
          return std::make_unique<Apgd>(s, apgd);
        }}},
      {"apgd-t",
       {"APGD on the targeted DLR loss toward each of the most likely wrong classes in turn "
        "(AutoAttack's second stage), Linf or L2 (norm)",
        with({"norm", "seed", "pgd.restarts", "apgd.rho", "apgd.eot_iter", "apgd.target_classes"}),
        [](const AttackSettings& s) {
          ApgdOptions apgd = s.apgd;
          apgd.restarts = s.pgd.restarts;
          if (apgd.target_classes == 0) apgd.target_classes = kAutoTargets;
          return std::make_unique<Apgd>(s, apgd);
        }}},
      {"autoattack",
       {"AutoAttack: APGD-CE, APGD-T, FAB-T and Square in sequence on the images still robust "
        "(version standard; rand: APGD-CE and APGD-DLR with EOT), Linf or L2 (norm)",
        {"epsilon", "norm", "seed", "round_to_8bit", "batch_size", "pgd.restarts",
         "apgd.target_classes", "autoattack.version", "autoattack.attacks", "autoattack.steps",
         "autoattack.eot_iter"},
        [](const AttackSettings& s) { return std::make_unique<AutoAttack>(s); }}},
      {"square",
       {"Square Attack: score-based black box, random search over square windows (forward "
        "passes only; AutoAttack's fourth stage), Linf or L2 (norm)",
        {"epsilon", "norm", "targeted", "seed", "round_to_8bit", "batch_size", "square.queries",
         "square.p_init", "pgd.restarts"},
        [](const AttackSettings& s) {
          SquareOptions square = s.square;
          square.restarts = s.pgd.restarts;
          return std::make_unique<Square>(s, square);
        }}},
      {"fab",
       {"FAB: the smallest perturbation by projections onto the linearized nearest boundary; "
        "success within epsilon (AutoAttack's), Linf or L2 (norm)",
        {"epsilon", "steps", "norm", "targeted", "seed", "round_to_8bit", "batch_size",
         "pgd.restarts", "fab.alpha_max", "fab.eta", "fab.beta", "fab.final_search"},
        [](const AttackSettings& s) {
          FabOptions fab = s.fab;
          fab.restarts = s.pgd.restarts;
          fab.target_classes = 0;
          return std::make_unique<Fab>(s, fab);
        }}},
      {"fab-t",
       {"FAB toward each of the most likely wrong classes in turn (AutoAttack's third stage), "
        "Linf or L2 (norm)",
        {"epsilon", "steps", "norm", "seed", "round_to_8bit", "batch_size", "pgd.restarts",
         "apgd.target_classes", "fab.alpha_max", "fab.eta", "fab.beta", "fab.final_search"},
        [](const AttackSettings& s) {
          FabOptions fab = s.fab;
          fab.restarts = s.pgd.restarts;
          fab.target_classes = s.apgd.target_classes == 0 ? kAutoTargets : s.apgd.target_classes;
          return std::make_unique<Fab>(s, fab);
        }}},
      {"cw",
       {"Carlini & Wagner L2: the smallest L2 perturbation by Adam and a binary search",
        {"targeted", "round_to_8bit", "batch_size", "cw.c", "cw.kappa", "cw.lr", "cw.steps",
         "cw.binary_steps"},
        [](const AttackSettings& s) { return std::make_unique<CarliniWagnerL2>(s, s.cw); }}},
      {"deepfool",
       {"DeepFool: the smallest step across the linearized nearest boundary (untargeted)",
        {"round_to_8bit", "batch_size", "deepfool.overshoot", "deepfool.candidates",
         "deepfool.steps"},
        [](const AttackSettings& s) { return std::make_unique<DeepFool>(s, s.deepfool); }}},
      {"hsj",
       {"HopSkipJump: decision-based black box (top-1 labels only) within a query budget, Linf "
        "or L2 (norm)",
        {"epsilon", "norm", "targeted", "round_to_8bit", "batch_size", "seed", "hsj.max_queries",
         "hsj.iterations", "hsj.init_evals", "hsj.max_evals", "hsj.gamma"},
        [](const AttackSettings& s) { return std::make_unique<HopSkipJump>(s, s.hsj); }}},
  };
}

Entries& registry() {
  static Entries entries = built_in();
  return entries;
}

std::mutex& registry_mutex() {
  static std::mutex mutex;
  return mutex;
}

// The entry of `name`, or an OptionError listing the known names. Under the lock.
const AttackEntry& find(const std::string& name) {
  const auto& entries = registry();
  const auto found = std::find_if(entries.begin(), entries.end(),
                                  [&name](const auto& entry) { return entry.first == name; });
  if (found == entries.end()) {
    std::string known;
    for (const auto& entry : entries) known += (known.empty() ? "" : ", ") + entry.first;
    throw core::OptionError("make_attack.name", "unknown attack '" + name + "'; known: " + known);
  }
  return found->second;
}

}  // namespace

void register_attack(const std::string& name, AttackEntry entry) {
  TORCH_CHECK(!name.empty() && entry.make, "register_attack: an attack needs a name and a factory");
  std::lock_guard<std::mutex> lock(registry_mutex());
  auto& entries = registry();
  for (auto& existing : entries) {
    if (existing.first == name) {
      existing.second = std::move(entry);
      return;
    }
  }
  entries.emplace_back(name, std::move(entry));
}

bool unregister_attack(const std::string& name) {
  std::lock_guard<std::mutex> lock(registry_mutex());
  auto& entries = registry();
  const auto before = entries.size();
  entries.erase(std::remove_if(entries.begin(), entries.end(),
                               [&name](const auto& entry) { return entry.first == name; }),
                entries.end());
  return entries.size() != before;
}

std::unique_ptr<Attack> make_attack(const std::string& name, const AttackSettings& settings) {
  AttackFactory make;
  {
    std::lock_guard<std::mutex> lock(registry_mutex());
    make = find(name).make;
  }
  return make(settings);
}

std::vector<std::string> attack_names() {
  std::lock_guard<std::mutex> lock(registry_mutex());
  std::vector<std::string> names;
  for (const auto& entry : registry()) names.push_back(entry.first);
  return names;
}

AttackEntry attack_entry(const std::string& name) {
  std::lock_guard<std::mutex> lock(registry_mutex());
  return find(name);
}

}  // namespace nnlab::attack
