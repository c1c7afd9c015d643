// An attack run over a labelled set at one or several budgets (a sweep: epsilon 0, 2, 4, 8 gives
// the robustness curve), each budget scored -- clean and adversarial accuracy, success rate,
// distances -- with passive defenses in front of the same model scored on the same examples.
// Where an output folder is given, each budget writes metrics.json (with the provenance block)
// and per_image.csv, and optionally the adversarial images as 8-bit PNGs, which are then read
// back and scored from the files: what is reported is what was saved. The folder is built aside
// and put in place whole (core/staged_directory), so a failure leaves the previous one.
#pragma once

#include <torch/types.h>

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "nnlab/attack/attack_report.h"
#include "nnlab/attack/input_defense.h"
#include "nnlab/attack/registry.h"
#include "nnlab/core/execution_context.h"
#include "nnlab/data/dataset.h"
#include "nnlab/models/classifier.h"

namespace nnlab::report {
class Table;
}
namespace nnlab::train {
class ProcessGroup;
}

namespace nnlab::attack {

struct AttackSweepOptions {
  std::string method = "fgsm";  // a registered attack (attack_names())
  // The shared options and each method's own. epsilon and step_size are set from the fields
  // below for each budget; targeted is set when target is not "none".
  AttackSettings attack;
  std::vector<double> epsilons = {8};  // budgets in 0-255 pixel units, run in this order
  double step_size = 0;                // 0-255 pixel units; 0: the method's default
  std::string target = "none";         // none | given | least-likely | random
  torch::Tensor given_targets;         // target "given": one class per image
  std::vector<InputDefense> defenses;  // scored behind the model at every budget
  // Also attack each defense adaptively: the attack runs against defense + model
  // (defended_model.h: BPDA, and EOT through APGD's eot_iter for a random defense) and defense +
  // model is scored on its images, beside the examples made on the undefended model.
  bool adaptive = false;
  // Where to write; empty: nothing is written. With several budgets, each has a subfolder
  // eps_<epsilon> and the folder also holds curve.csv.
  std::string output;
  // Write the adversarial images under the set's file names (Dataset::files) and score them as
  // read back; otherwise they are scored as computed (rounded to 8 bits as they would be saved).
  bool write_images = false;
  bool progress = true;
  core::ExecutionContext context;  // for the provenance block of each metrics.json
  // Several processes: each attacks its contiguous share, rank 0 scores, writes and reports.
  train::ProcessGroup* group = nullptr;
};

struct AttackSweepResult {
  bool reports = true;                // false on a rank other than 0: it holds no scores
  std::vector<AttackReportRun> runs;  // one per budget, in order
  // Each budget's metrics.json object (scores, method, arch, epsilon, seconds, defenses), without
  // the provenance block.
  std::vector<nlohmann::json> runs_json;
  torch::Tensor targets;      // the target classes of a targeted sweep; undefined otherwise
  torch::Tensor adversarial;  // the last budget's images as scored (N,C,H,W) on the CPU
};

// Runs the sweep over set (images in [0,1] on the 8-bit grid, labels; files when images are
// written). Throws core::OptionError("AttackSweepOptions.<field>", ...) for options out of their
// domain, the attack's own errors, and core::FileError naming a file as it is once in place.
AttackSweepResult run_attack_sweep(models::Classifier& model, const data::Dataset& set,
                                   const AttackSweepOptions& options);

// The robustness curve, one row per budget: epsilon, clean acc, adv acc, success, mean Linf,
// max Linf, mean L2, seconds (curve.csv is its CSV).
report::Table sweep_curve_table(const std::vector<AttackReportRun>& runs);
// One row per budget and stage of an attack of several stages (AutoAttack): epsilon, stage,
// images it broke, robust accuracy after it, seconds; no rows for other attacks.
report::Table sweep_stage_table(const std::vector<AttackReportRun>& runs);
// One row per budget and defense: epsilon, defense, clean acc, adv acc, and with adaptive
// scores adaptive acc.
report::Table sweep_defense_table(const std::vector<AttackReportRun>& runs);

// "8", "0.5": a budget as it names folders and rows.
std::string epsilon_name(double epsilon);

}  // namespace nnlab::attack
