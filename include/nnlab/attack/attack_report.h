// The attack report: one self-contained HTML file (images embedded as PNG data URIs, the chart as
// inline SVG) with the metrics of every budget, the robustness curve (accuracy against epsilon,
// with and without passive defenses), for black-box attacks the success rate against the model
// queries, and a grid of examples - original, adversarial,
// perturbation amplified, and the model's top-3 classes with probabilities before and after.
#pragma once

#include <torch/types.h>

#include <string>
#include <vector>

#include "nnlab/attack/metrics.h"
#include "nnlab/attack/query_curve.h"
#include "nnlab/attack/stage_scores.h"
#include "nnlab/models/classifier.h"

namespace nnlab::attack {

struct DefenseScore {
  std::string defense;  // spec, e.g. "median:3"
  double clean_accuracy = 0;
  double adversarial_accuracy = 0;
  // Adaptive (attack_sweep's adaptive): the accuracy of defense + model under the attack run
  // against defense + model (defended_model.h, BPDA and EOT), and that attack's seconds.
  bool adaptive = false;
  double adaptive_accuracy = 0;
  double adaptive_seconds = 0;
};

struct AttackReportRun {
  double epsilon = 0;  // 0-255 units
  double seconds = 0;
  AttackScores scores;
  std::vector<DefenseScore> defenses;
  std::vector<StageScore> stages;  // an attack of several stages (AutoAttack); else empty
  QueryCurve query_curve;  // black-box attacks: success against queries (empty grid otherwise)
};

struct AttackReport {
  std::string method, arch, source;
  std::vector<AttackReportRun> runs;  // in the order run; the examples come from the last
  // The examples' run: clean and adversarial images (N,C,H,W) in [0,1] on the CPU, true labels.
  torch::Tensor clean, adversarial, labels;
  std::vector<std::string> class_names;  // index -> name; may be empty
  int max_examples = 8;
  std::string summary_html;  // HTML put before the metrics (a caller's own summary); may be empty
};

// The HTML text. model gives the top-3 predictions of the examples.
std::string render_attack_report(models::Classifier& model, const AttackReport& report);

}  // namespace nnlab::attack
