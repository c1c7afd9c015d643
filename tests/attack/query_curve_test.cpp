// Success against queries: the curve and the mean / median against a hand-computed example, the
// default grid, and the curve a sweep of a black-box attack reports.
#include "nnlab/attack/query_curve.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include "attack/attack_testing.h"
#include "nnlab/attack/attack_report.h"
#include "nnlab/attack/attack_sweep.h"

namespace nnlab::attack {
namespace {

TEST(QueryCurve, SharesOfImagesBrokenWithinEachBudget) {
  // Six images: one wrong when clean (0 queries), three broken after 3, 7 and 10 queries, two
  // robust after 10 and 5.
  const auto queries = torch::tensor({0, 3, 10, 10, 7, 5}, torch::kLong);
  const auto success = torch::tensor({true, true, true, false, true, false});
  const auto curve = query_curve(queries, success, {0, 3, 5, 7, 9, 10});
  EXPECT_EQ(curve.queries, (std::vector<std::int64_t>{0, 3, 5, 7, 9, 10}));
  const std::vector<double> expected = {1.0 / 6, 2.0 / 6, 2.0 / 6, 3.0 / 6, 3.0 / 6, 4.0 / 6};
  ASSERT_EQ(curve.broken.size(), expected.size());
  for (size_t k = 0; k < expected.size(); ++k) EXPECT_DOUBLE_EQ(curve.broken[k], expected[k]) << k;
  // Over the images the attack broke with queries: 3, 7, 10.
  EXPECT_DOUBLE_EQ(curve.mean_queries, 20.0 / 3);
  EXPECT_DOUBLE_EQ(curve.median_queries, 7);
  const auto json = curve.points_json();
  ASSERT_EQ(json.size(), 6u);
  EXPECT_EQ(json[1]["queries"].get<std::int64_t>(), 3);
  EXPECT_DOUBLE_EQ(json[1]["success_rate"].get<double>(), 2.0 / 6);

  // An even count: the median is the mean of the middle two (2 and 4).
  const auto even = query_curve(torch::tensor({1, 2, 4, 9}, torch::kLong),
                                torch::tensor({true, true, true, true}));
  EXPECT_DOUBLE_EQ(even.median_queries, 3);
  EXPECT_DOUBLE_EQ(even.mean_queries, 4);
  // The default grid ends at the largest count, where every image is broken.
  EXPECT_EQ(even.queries.back(), 9);
  EXPECT_DOUBLE_EQ(even.broken.back(), 1.0);
  // Nothing broken: no mean, a flat curve.
  const auto none = query_curve(torch::tensor({5, 5}, torch::kLong), torch::tensor({false, false}));
  EXPECT_DOUBLE_EQ(none.mean_queries, 0);
  EXPECT_DOUBLE_EQ(none.broken.back(), 0);
}

TEST(QueryCurve, GridIsOneTwoFivePerDecadeUpToTheBudget) {
  EXPECT_EQ(query_grid(5000),
            (std::vector<std::int64_t>{0, 1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000}));
  EXPECT_EQ(query_grid(1), (std::vector<std::int64_t>{0, 1}));
  EXPECT_EQ(query_grid(20), (std::vector<std::int64_t>{0, 1, 2, 5, 10, 20}));
}

TEST(QueryCurve, RefusesMismatchedInputs) {
  EXPECT_THROW(query_curve(torch::tensor({1, 2}, torch::kLong), torch::tensor({true})), c10::Error);
  EXPECT_THROW(query_curve(torch::tensor({1}, torch::kLong), torch::tensor({true}), {5, 2}),
               c10::Error);
}

TEST(QueryCurve, SweepOfABlackBoxAttackReportsItsCurve) {
  const auto batch = testing::make_batch(12, 51);
  data::Dataset set;
  set.images = batch.images;
  set.labels = batch.labels;
  set.source = "synthetic";
  AttackSweepOptions options;
  options.method = "square";
  options.epsilons = {40};
  options.attack.square.queries = 30;
  options.progress = false;
  const auto result = run_attack_sweep(testing::trained_model(), set, options);
  ASSERT_EQ(result.runs_json.size(), 1u);
  const auto& run = result.runs_json[0];
  ASSERT_TRUE(run.contains("query_curve"));
  ASSERT_TRUE(run.contains("mean_queries"));
  ASSERT_TRUE(run.contains("median_queries"));
  const auto& points = run["query_curve"];
  // At q = 0, the images wrong when clean; at the last point, the success rate.
  EXPECT_DOUBLE_EQ(points.front()["success_rate"].get<double>(),
                   1 - run["clean_accuracy"].get<double>());
  EXPECT_DOUBLE_EQ(points.back()["success_rate"].get<double>(), run["success_rate"].get<double>());
  EXPECT_LE(points.back()["queries"].get<std::int64_t>(), 30);
  EXPECT_GT(run["mean_queries"].get<double>(), 0);
  // The report draws it.
  AttackReport report;
  report.method = "square";
  report.runs = result.runs;
  const auto html = render_attack_report(testing::trained_model(), report);
  EXPECT_NE(html.find("Success against queries"), std::string::npos);
  // Two charts: accuracy against the budget, and success against queries.
  size_t charts = 0;
  for (auto at = html.find("<svg"); at != std::string::npos; at = html.find("<svg", at + 1))
    ++charts;
  EXPECT_EQ(charts, 2u);

  // A white-box attack reports no curve.
  options.method = "fgsm";
  const auto fgsm = run_attack_sweep(testing::trained_model(), set, options);
  EXPECT_FALSE(fgsm.runs_json[0].contains("query_curve"));
}

}  // namespace
}  // namespace nnlab::attack
