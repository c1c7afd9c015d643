// nnlab robustness and nnlab attack --method autoattack on a small trained lenet300: the JSON's
// figures agree with each other and with the files written (the stage that broke each image in
// per_image.csv), and every bad input is a one-line error naming its flag.
#include <gtest/gtest.h>

#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>

#include "cli/cli_test_util.h"
#include "nnlab/data/csv.h"

namespace nnlab::testing {
namespace fs = std::filesystem;

namespace {

const std::string& trained() {
  static const std::string dir = trained_lenet300("robustness_cli", 2);
  return dir;
}

std::string model_and_data() {
  return " --model " + trained() + "/d.ckpt --data idx:" + trained() + "/data";
}

// AutoAttack's first two stages (FAB-T and Square are separate attacks with their own tests).
const std::string kQuickAutoAttack = " --aa-version custom --aa-attacks apgd,apgd-t --aa-steps 5";

TEST(RobustnessCommand, StagesAddUpAndMatchTheFiles) {
  const auto out = trained() + "/robustness_out";
  const auto report = trained() + "/robustness.html";
  const auto r =
      run_nnlab("robustness" + model_and_data() + " --epsilon 32 --pgd-steps 5" + kQuickAutoAttack +
                " --output " + out + " --report " + report + " --json -q");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["images"], 100);
  const double clean = j["clean_accuracy"];
  const double robust = j["robust_accuracy"];
  EXPECT_GT(clean, 0.5);
  EXPECT_LT(robust, clean) << "epsilon 32 should break some images";
  EXPECT_EQ(j["autoattack"]["robust_accuracy"], robust);
  EXPECT_EQ(j["pgd"]["steps"], 5);
  EXPECT_LE(j["pgd"]["robust_accuracy"].get<double>(), clean);

  // Each stage leaves at most what the one before left; the last leaves the robust accuracy.
  const auto& stages = j["autoattack"]["stages"];
  ASSERT_EQ(stages.size(), 2u);
  EXPECT_EQ(stages[0]["attack"], "apgd");
  EXPECT_EQ(stages[1]["attack"], "apgd-t");
  double left = clean;
  std::int64_t broken = 0;
  for (const auto& stage : stages) {
    const double after = stage["robust_accuracy"];
    EXPECT_LE(after, left);
    EXPECT_NEAR(left - after, stage["broken"].get<double>() / 100.0, 1e-9);
    broken += stage["broken"].get<std::int64_t>();
    left = after;
  }
  EXPECT_DOUBLE_EQ(left, robust);

  // per_image.csv names the breaking stage of each image, in agreement with the counts.
  const auto rows = data::CsvTable::read(out + "/autoattack/per_image.csv");
  ASSERT_EQ(rows.rows().size(), 100u);
  const auto& header = rows.header();
  ASSERT_EQ(header.back(), "broken_by");
  std::map<std::string, std::int64_t> by;
  for (const auto& row : rows.rows()) by[row.back()] += 1;
  EXPECT_EQ(by["apgd"], stages[0]["broken"]);
  EXPECT_EQ(by["apgd-t"], stages[1]["broken"]);
  EXPECT_EQ(by["none"], static_cast<std::int64_t>(robust * 100 + 0.5));
  EXPECT_EQ(by["clean"], static_cast<std::int64_t>((1 - clean) * 100 + 0.5));
  EXPECT_EQ(by["none"] + by["clean"] + broken, 100);
  const auto metrics = nlohmann::json::parse(read_text(out + "/autoattack/metrics.json"));
  EXPECT_EQ(metrics["robust_accuracy"], robust);
  EXPECT_TRUE(fs::exists(out + "/pgd/metrics.json"));
  const auto html = read_text(report);
  EXPECT_NE(html.find("<h2>Stages</h2>"), std::string::npos);
  EXPECT_NE(html.find("PGD-5"), std::string::npos);
}

TEST(RobustnessCommand, AttackMethodAutoattackReportsStages) {
  const auto r = run_nnlab("attack --method autoattack --epsilon 32" + model_and_data() +
                           kQuickAutoAttack + " --json -q");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["robust_accuracy"], j["adversarial_accuracy"]);
  ASSERT_EQ(j["stages"].size(), 2u);
  EXPECT_EQ(j["stages"][1]["robust_accuracy"], j["robust_accuracy"]);
}

TEST(RobustnessCommand, BadInput) {
  const std::string base = "robustness" + model_and_data() + " --limit 4 -q";
  expect_clean_error(run_nnlab(base + " --aa-version plus"), "--aa-version", "plus");
  expect_clean_error(run_nnlab(base + " --aa-version custom"), "--aa-attacks");
  expect_clean_error(run_nnlab(base + " --aa-version custom --aa-attacks apgd,nosuch"),
                     "--aa-attacks", "nosuch");
  expect_clean_error(run_nnlab(base + " --pgd-steps 0"), "--pgd-steps");
  expect_clean_error(run_nnlab(base + " --norm l3"), "--norm");
  expect_clean_error(
      run_nnlab("attack --method autoattack --aa-version x --limit 4 -q" + model_and_data()),
      "--aa-version");
  expect_clean_error(
      run_nnlab("attack --method autoattack --target random --limit 4 -q" + model_and_data()),
      "--target", "untargeted");
}

}  // namespace
}  // namespace nnlab::testing
