#include "nnlab/attack/attack_sweep.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <iterator>

#include "attack/folder_testing.h"
#include "nnlab/attack/targets.h"
#include "nnlab/core/atomic_file.h"
#include "nnlab/core/error.h"
#include "nnlab/report/table.h"

namespace nnlab::attack::testing {
namespace {

namespace fs = std::filesystem;

data::Dataset dataset_of(const Batch& batch) {
  data::Dataset set;
  set.images = batch.images;
  set.labels = batch.labels;
  set.files = file_names(batch.images.size(0));
  set.source = "synthetic";
  return set;
}

TEST(AttackSweep, WritesOnePngPerImageAndBudgetAndScoresThemAsReadBack) {
  ScratchDir dir;
  const auto batch = make_batch(12, 41);
  AttackSweepOptions options;
  options.method = "fgsm";
  options.epsilons = {0, 16};
  options.output = dir / "out";
  options.write_images = true;
  options.progress = false;
  const auto result = run_attack_sweep(trained_model(), dataset_of(batch), options);

  ASSERT_TRUE(result.reports);
  ASSERT_EQ(result.runs.size(), 2u);
  ASSERT_EQ(result.runs_json.size(), 2u);
  for (size_t r = 0; r < 2; ++r) {
    const auto eps = epsilon_name(options.epsilons[r]);
    const auto folder = options.output + "/eps_" + eps;
    std::vector<std::string> written;
    for (const auto& name : file_names(12)) {
      written.push_back(folder + "/" + name);
      ASSERT_TRUE(fs::exists(written.back())) << written.back();
    }
    // Exactly the images, metrics.json and per_image.csv.
    EXPECT_EQ(std::distance(fs::directory_iterator(folder), fs::directory_iterator{}), 14);
    const auto& scores = result.runs[r].scores;
    EXPECT_EQ(scores.count, 12);
    EXPECT_DOUBLE_EQ(scores.adversarial_accuracy, accuracy_of_files(written, batch.labels));
    EXPECT_LE(scores.max_linf, options.epsilons[r] + 1e-6);
    const auto metrics = nlohmann::json::parse(core::read_file(folder + "/metrics.json"));
    EXPECT_EQ(metrics["epsilon"].get<double>(), options.epsilons[r]);
    EXPECT_EQ(metrics["adversarial_accuracy"].get<double>(), scores.adversarial_accuracy);
    EXPECT_TRUE(metrics.contains(core::kProvenanceKey));
    EXPECT_EQ(result.runs_json[r]["method"], "fgsm");
    EXPECT_FALSE(result.runs_json[r].contains(core::kProvenanceKey));
  }
  // Budget 0 changes nothing; 16/255 flips some of what the model got right.
  EXPECT_DOUBLE_EQ(result.runs[0].scores.adversarial_accuracy,
                   result.runs[0].scores.clean_accuracy);
  EXPECT_EQ(result.runs[0].scores.max_linf, 0);
  EXPECT_LT(result.runs[1].scores.adversarial_accuracy, result.runs[1].scores.clean_accuracy);
  // The curve: one row per budget, also in curve.csv.
  const auto csv = core::read_file(options.output + "/curve.csv");
  EXPECT_EQ(csv, sweep_curve_table(result.runs).to_csv());
  EXPECT_EQ(csv.substr(0, csv.find('\n')),
            "epsilon,clean acc,adv acc,success,mean Linf,max Linf,mean L2,seconds");
  EXPECT_EQ(std::count(csv.begin(), csv.end(), '\n'), 3);
  // The last budget's images, as scored.
  EXPECT_TRUE(result.adversarial.slice(0, 0, 2).equal(data::load_images_of_size(
      {options.output + "/eps_16/000.png", options.output + "/eps_16/001.png"}, 1, 28, 28)));
}

TEST(AttackSweep, OneBudgetWithoutOutputWritesNothingAndScoresDefenses) {
  const auto batch = make_batch(10, 43);
  AttackSweepOptions options;
  options.method = "ifgsm";
  options.attack.steps = 3;
  options.epsilons = {8};
  options.progress = false;
  options.defenses = {parse_defense("bits:4")};
  const auto result = run_attack_sweep(trained_model(), dataset_of(batch), options);
  ASSERT_EQ(result.runs.size(), 1u);
  const auto& run = result.runs[0];
  EXPECT_LE(run.scores.max_linf, 8 + 1e-6);
  // Scored as computed, on the 8-bit grid.
  EXPECT_TRUE(result.adversarial.equal(data::quantize_to_8bit(result.adversarial)));
  EXPECT_DOUBLE_EQ(
      run.scores.adversarial_accuracy,
      predicted(result.adversarial).eq(batch.labels).to(torch::kFloat64).mean().item<double>());
  ASSERT_EQ(run.defenses.size(), 1u);
  EXPECT_EQ(run.defenses[0].defense, "bits:4");
  EXPECT_DOUBLE_EQ(
      run.defenses[0].clean_accuracy,
      defended_accuracy(trained_model(), parse_defense("bits:4"), batch.images, batch.labels));
  EXPECT_EQ(result.runs_json[0]["defenses"].size(), 1u);
  const auto table = sweep_defense_table(result.runs).to_csv();
  EXPECT_NE(table.find("8,bits:4,"), std::string::npos) << table;
  EXPECT_FALSE(result.targets.defined());
}

TEST(AttackSweep, TargetsLeastLikelyAndGiven) {
  const auto batch = make_batch(9, 47);
  AttackSweepOptions options;
  options.method = "pgd";
  options.attack.steps = 5;
  options.epsilons = {32};
  options.progress = false;
  options.target = "least-likely";
  const auto least = run_attack_sweep(trained_model(), dataset_of(batch), options);
  EXPECT_TRUE(
      least.targets.equal(least_likely_targets(trained_model(), batch.images, batch.labels)));
  options.target = "given";
  options.given_targets = (batch.labels + 1).remainder(kClasses);
  const auto given = run_attack_sweep(trained_model(), dataset_of(batch), options);
  EXPECT_TRUE(given.targets.equal(options.given_targets));
}

TEST(AttackSweep, OptionsOutOfTheirDomainNameTheField) {
  const auto set = dataset_of(make_batch(4, 53));
  const auto error = [&](AttackSweepOptions options) {
    options.progress = false;
    try {
      run_attack_sweep(trained_model(), set, options);
    } catch (const core::OptionError& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  AttackSweepOptions options;
  options.epsilons = {};
  EXPECT_NE(error(options).find("AttackSweepOptions.epsilons"), std::string::npos);
  options.epsilons = {8, 256};
  EXPECT_NE(error(options).find("AttackSweepOptions.epsilons"), std::string::npos);
  options.epsilons = {8};
  options.target = "given";
  EXPECT_NE(error(options).find("AttackSweepOptions.given_targets"), std::string::npos);
  options.target = "none";
  options.write_images = true;
  EXPECT_NE(error(options).find("AttackSweepOptions.output"), std::string::npos);
}

}  // namespace
}  // namespace nnlab::attack::testing
