// nnlab attack --adaptive: the attack run through each --defense (BPDA, EOT) and scored beside
// the gray-box defense column; its bad input. A LeNet-5 (untrained: only the outputs' shape and
// repeatability are checked here; tests/attack/defended_model_test.cpp checks the numbers) on 12
// synthetic IDX test images.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "cli/cli_test_util.h"
#include "nnlab/models/checkpoint.h"
#include "nnlab/models/registry.h"

namespace nnlab::testing {

namespace {

struct Setup {
  std::string dir, model;
};

const Setup& setup() {
  static const Setup s = [] {
    Setup out;
    out.dir = scratch_dir("attack_adaptive");
    write_synthetic_idx(out.dir + "/data", 20, 12);
    torch::manual_seed(3);
    auto model = models::create_model("lenet5");
    out.model = out.dir + "/lenet5.ckpt";
    models::save_checkpoint(out.model, models::make_checkpoint(model));
    return out;
  }();
  return s;
}

std::string attack_args(const Setup& s) {
  return "attack --model " + s.model + " --data idx:" + s.dir + "/data --limit 12 --epsilon 16";
}

}  // namespace

TEST(AttackAdaptiveCommand, ScoresEachDefenseUnderTheAttackThroughItAndRepeats) {
  const auto& s = setup();
  const auto command = attack_args(s) +
                       " --method apgd --steps 3 --eot-iter 2 --defense bits:4,noise:8 "
                       "--adaptive --seed 1 --json -q";
  const auto r = run_nnlab(command);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  ASSERT_EQ(j["defenses"].size(), 2u);
  for (const auto& d : j["defenses"]) {
    ASSERT_TRUE(d.contains("adaptive_accuracy")) << d.dump();
    EXPECT_GE(d["adaptive_accuracy"].get<double>(), 0.0);
    EXPECT_LE(d["adaptive_accuracy"].get<double>(), 1.0);
    EXPECT_GE(d["adaptive_seconds"].get<double>(), 0.0);
  }
  // The noise defense draws from a generator seeded by --seed: the run repeats.
  const auto again = nlohmann::json::parse(run_nnlab(command).out);
  EXPECT_EQ(again["defenses"][1]["adaptive_accuracy"], j["defenses"][1]["adaptive_accuracy"]);
  EXPECT_EQ(again["defenses"][1]["adversarial_accuracy"], j["defenses"][1]["adversarial_accuracy"]);
  // The table gains the column.
  const auto human = run_nnlab(attack_args(s) + " --method fgsm --defense bits:4 --adaptive");
  ASSERT_EQ(human.exit_code, 0) << human.err;
  EXPECT_NE(human.out.find("adaptive acc"), std::string::npos) << human.out;
}

TEST(AttackAdaptiveCommand, BadInput) {
  const auto& s = setup();
  auto expect_error = [](const CommandResult& r, const std::string& must_contain) {
    EXPECT_EQ(r.exit_code, 1) << r.err;
    EXPECT_EQ(line_count(r.err), 1) << r.err;
    EXPECT_NE(r.err.find(must_contain), std::string::npos) << r.err;
  };
  expect_error(run_nnlab(attack_args(s) + " --adaptive -q"), "--adaptive");
  expect_error(run_nnlab(attack_args(s) + " --adaptive --defense blur:3 -q"), "--defense");
  expect_error(run_nnlab(attack_args(s) + " --adaptive --defense noise:0 -q"), "--defense");
}

}  // namespace nnlab::testing
