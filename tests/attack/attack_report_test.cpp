#include "nnlab/attack/attack_report.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <regex>

#include "attack_testing.h"
#include "nnlab/attack/metrics.h"

namespace nnlab::attack {

namespace {

std::size_t count(const std::string& text, const std::string& what) {
  std::size_t n = 0;
  for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

}  // namespace

TEST(AttackReport, HoldsMetricsCurveDefensesAndExamples) {
  auto& model = testing::trained_model();
  const auto batch = testing::make_batch(12, 31);
  AttackReport report;
  report.method = "fgsm";
  report.arch = "lenet300";
  report.source = "synthetic <bands>";
  report.class_names = {"top", "middle", "bottom"};
  AttackOptions options;
  for (const double eps : {0.0, 16.0, 32.0}) {
    options.epsilon = eps / 255;
    const auto adversarial = make_attack("fgsm", options)->run(model, batch.images, batch.labels);
    AttackReportRun run;
    run.epsilon = eps;
    run.scores = score_attack(model, batch.images, adversarial, batch.labels);
    run.defenses.push_back({"median:3", 0.9, 0.5});
    report.runs.push_back(run);
    report.adversarial = adversarial;
  }
  report.clean = batch.images;
  report.labels = batch.labels;
  report.max_examples = 5;
  const auto html = render_attack_report(model, report);

  EXPECT_NE(html.find("synthetic &lt;bands&gt;"), std::string::npos);  // escaped
  EXPECT_EQ(count(html, "<svg"), 1u);
  EXPECT_EQ(count(html, "<polyline"), 2u);  // accuracy, and median:3
  EXPECT_NE(html.find("Passive defenses"), std::string::npos);
  // Five examples, three images each, and two top-3 lists with class names.
  EXPECT_EQ(count(html, "<img src=\"data:image/png;base64,"), 15u);
  EXPECT_EQ(count(html, "class=\"top3\""), 10u);
  EXPECT_NE(html.find("middle (1)"), std::string::npos);
  // Successful attacks come first: the first example's top-1 after the attack is wrong.
  const auto last = report.runs.back().scores.images;
  const bool any_flip = std::any_of(last.begin(), last.end(), [](const ImageScore& s) {
    return s.clean_prediction == s.label && s.adversarial_prediction != s.label;
  });
  ASSERT_TRUE(any_flip);
  const auto first_row = html.find("<tr><td>", html.find("class=\"examples\""));
  const auto after = html.find("class=\"top3\"", html.find("class=\"top3\"", first_row) + 1);
  EXPECT_EQ(html.compare(after + 13, 18, "<span class=\"bad\">"), 0) << html.substr(after, 60);
}

}  // namespace nnlab::attack
