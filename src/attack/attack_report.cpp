#include "nnlab/attack/attack_report.h"

#include <torch/torch.h>

#include <algorithm>

#include "nnlab/attack/attack_sweep.h"
#include "nnlab/attack/objective.h"
#include "nnlab/report/html.h"
#include "nnlab/report/table.h"

namespace nnlab::attack {

namespace {

const char* kStyle = R"(<style>
body { font-family: sans-serif; margin: 2em; color: #222; max-width: 1200px; }
table { border-collapse: collapse; margin: 0.5em 0 1.5em; }
th, td { padding: 0.25em 0.8em; border-bottom: 1px solid #ddd; text-align: right; }
th { background: #f4f4f4; }
td:first-child, th:first-child { text-align: left; }
.examples td { vertical-align: top; text-align: center; }
.examples img { width: 112px; height: 112px; image-rendering: pixelated; border: 1px solid #ccc; }
.top3 { font-size: 0.8em; text-align: left; white-space: nowrap; }
.ok { color: #007a3d; } .bad { color: #c0392b; font-weight: bold; }
.note { color: #666; font-size: 0.9em; }
</style>
)";

std::string class_name(const std::vector<std::string>& names, std::int64_t index) {
  const auto i = static_cast<size_t>(index);
  if (index >= 0 && i < names.size() && !names[i].empty()) {
    return names[i] + " (" + std::to_string(index) + ")";
  }
  return std::to_string(index);
}

std::string top3(const torch::Tensor& probabilities, const std::vector<std::string>& names,
                 std::int64_t label) {
  const auto best = probabilities.topk(std::min<std::int64_t>(3, probabilities.size(0)));
  const auto values = std::get<0>(best);
  const auto indices = std::get<1>(best);
  std::string out = "<div class=\"top3\">";
  for (std::int64_t k = 0; k < indices.size(0); ++k) {
    const auto index = indices[k].item<std::int64_t>();
    const bool right = index == label;
    out +=
        std::string(k == 0 ? (right ? "<span class=\"ok\">" : "<span class=\"bad\">") : "<span>") +
        report::html_escape(class_name(names, index)) + " " +
        report::percent(values[k].item<double>(), 1) + "</span><br>";
  }
  return out + "</div>";
}

// Perturbation around mid-grey, scaled so that the largest change spans the full range.
torch::Tensor amplified(const torch::Tensor& clean, const torch::Tensor& adversarial) {
  const auto d = adversarial - clean;
  const double largest = std::max(d.abs().max().item<double>(), 1.0 / 255);
  return (0.5 + d * (0.5 / largest)).clamp(0, 1);
}

}  // namespace

std::string render_attack_report(models::Classifier& model, const AttackReport& r) {
  std::string html = "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\">\n<title>nnlab " +
                     report::html_escape(r.method + " on " + r.arch) + "</title>\n" + kStyle +
                     "</head><body>\n";
  html += "<h1>" + report::html_escape(r.method) + " against " + report::html_escape(r.arch) +
          "</h1>\n<p>" + std::to_string(r.runs.empty() ? 0 : r.runs.front().scores.count) +
          " images of " + report::html_escape(r.source) +
          ". Budgets in 0-255 pixel units; every figure is measured on the 8-bit images as "
          "saved.</p>\n";
  html += r.summary_html;

  // Metrics of every budget.
  report::Table metrics({"epsilon", "clean acc", "adv acc", "success", "mean Linf", "max Linf",
                         "mean L2", "seconds"});
  for (const auto& run : r.runs) {
    const auto& s = run.scores;
    metrics.add_row({report::fixed(run.epsilon, 1), report::percent(s.clean_accuracy),
                     report::percent(s.adversarial_accuracy), report::percent(s.success_rate),
                     report::fixed(s.mean_linf, 2), report::fixed(s.max_linf, 2),
                     report::fixed(s.mean_l2, 2), report::fixed(run.seconds, 1)});
  }
  html += "<h2>Metrics</h2>\n" + metrics.to_html();
  if (std::any_of(r.runs.begin(), r.runs.end(),
                  [](const AttackReportRun& run) { return !run.stages.empty(); })) {
    html +=
        "<h2>Stages</h2>\n<p class=\"note\">The attacks ran in sequence, each on the images "
        "every earlier one failed on; robust accuracy is what is left after each.</p>\n" +
        sweep_stage_table(r.runs).to_html();
  }

  // The robustness curve, with each passive defense as a further series.
  std::vector<report::Series> series(1);
  series[0].name = "accuracy";
  for (const auto& run : r.runs) {
    series[0].x.push_back(run.epsilon);
    series[0].y.push_back(run.scores.adversarial_accuracy);
    for (const auto& d : run.defenses) {
      auto it = std::find_if(series.begin(), series.end(),
                             [&](const report::Series& s) { return s.name == d.defense; });
      if (it == series.end()) {
        series.push_back({d.defense, {}, {}});
        it = series.end() - 1;
      }
      it->x.push_back(run.epsilon);
      it->y.push_back(d.adversarial_accuracy);
    }
  }
  report::ChartOptions chart;
  chart.x_label = "epsilon (0-255 pixel units)";
  chart.y_label = "accuracy";
  html += "<h2>Accuracy against the budget</h2>\n" + report::svg_line_chart(series, chart);

  // Black-box attacks: the share of images broken within q queries, one line per budget.
  std::vector<report::Series> by_queries;
  for (const auto& run : r.runs) {
    const auto& curve = run.query_curve;
    if (curve.queries.empty()) continue;
    by_queries.push_back({"epsilon " + report::fixed(run.epsilon, 1), {}, curve.broken});
    for (const auto q : curve.queries) by_queries.back().x.push_back(static_cast<double>(q));
  }
  if (!by_queries.empty()) {
    report::ChartOptions queries_chart;
    queries_chart.x_label = "model queries per image";
    queries_chart.y_label = "success rate";
    std::string means;
    for (const auto& run : r.runs) {
      if (run.query_curve.queries.empty()) continue;
      means += std::string(means.empty() ? "" : "; ") + "epsilon " + report::fixed(run.epsilon, 1) +
               ": " + report::fixed(run.query_curve.mean_queries, 1) + " / " +
               report::fixed(run.query_curve.median_queries, 1);
    }
    html +=
        "<h2>Success against queries</h2>\n<p class=\"note\">The share of all images "
        "misclassified within q model queries (those the model got wrong clean count at 0). "
        "Mean / median queries of the images the attack broke: " +
        means + ".";
    html += "</p>\n" + report::svg_line_chart(by_queries, queries_chart);
  }

  bool any_defense = false;
  bool any_adaptive = false;
  for (const auto& run : r.runs) {
    for (const auto& d : run.defenses) any_adaptive = any_adaptive || d.adaptive;
  }
  std::vector<std::string> columns = {"epsilon", "defense", "clean acc", "adv acc"};
  if (any_adaptive) columns.push_back("adaptive acc");
  report::Table defenses(columns);
  for (const auto& run : r.runs) {
    for (const auto& d : run.defenses) {
      any_defense = true;
      std::vector<std::string> row = {report::fixed(run.epsilon, 1), d.defense,
                                      report::percent(d.clean_accuracy),
                                      report::percent(d.adversarial_accuracy)};
      if (any_adaptive) row.push_back(d.adaptive ? report::percent(d.adaptive_accuracy) : "-");
      defenses.add_row(row);
    }
  }
  if (any_defense) {
    html +=
        "<h2>Passive defenses</h2>\n<p class=\"note\">The same adversarial images, passed "
        "through each transform before the model. They were made against the undefended "
        "model; an attacker who knows the transform can usually get through it" +
        std::string(any_adaptive ? " (adaptive acc: the attack run against transform + model, "
                                   "its gradient through the transform by BPDA)"
                                 : "") +
        ".</p>\n" + defenses.to_html();
  }

  // Examples: successful attacks first (clean right, adversarial wrong), then the rest.
  if (!r.runs.empty() && r.clean.defined() && r.clean.size(0) > 0) {
    const auto& rows = r.runs.back().scores.images;
    std::vector<std::int64_t> chosen;
    for (int pass = 0; pass < 2; ++pass) {
      for (size_t i = 0; i < rows.size() && static_cast<int>(chosen.size()) < r.max_examples; ++i) {
        const bool flipped = rows[i].clean_prediction == rows[i].label &&
                             rows[i].adversarial_prediction != rows[i].label;
        if (flipped == (pass == 0)) chosen.push_back(static_cast<std::int64_t>(i));
      }
    }
    const auto index = torch::tensor(chosen, torch::kLong);
    const auto clean = r.clean.index_select(0, index);
    const auto adversarial = r.adversarial.index_select(0, index);
    const auto p_clean = logits_of(model, clean.to(model.device())).softmax(1).cpu();
    const auto p_adv = logits_of(model, adversarial.to(model.device())).softmax(1).cpu();
    html += "<h2>Examples at epsilon " + report::fixed(r.runs.back().epsilon, 1) +
            "</h2>\n<table class=\"examples\">\n<tr><th>image</th><th>original</th><th>"
            "adversarial</th><th>perturbation (amplified)</th><th>top-3 before</th><th>top-3 "
            "after</th></tr>\n";
    for (size_t k = 0; k < chosen.size(); ++k) {
      const auto& row = rows[static_cast<size_t>(chosen[k])];
      const auto i = static_cast<std::int64_t>(k);
      html += "<tr><td>" + report::html_escape(row.file) +
              "<br>true: " + report::html_escape(class_name(r.class_names, row.label)) +
              "<br>Linf " + report::fixed(row.linf, 1) + "</td>";
      html += "<td><img src=\"" + report::png_data_uri(clean[i]) + "\"></td>";
      html += "<td><img src=\"" + report::png_data_uri(adversarial[i]) + "\"></td>";
      html += "<td><img src=\"" + report::png_data_uri(amplified(clean[i], adversarial[i])) +
              "\"></td>";
      html += "<td>" + top3(p_clean[i], r.class_names, row.label) + "</td>";
      html += "<td>" + top3(p_adv[i], r.class_names, row.label) + "</td></tr>\n";
    }
    html += "</table>\n";
  }
  return html + "<p class=\"note\">Made by nnlab attack.</p>\n</body></html>\n";
}

}  // namespace nnlab::attack
