// The contract every attack behind make_attack keeps.
#include "nnlab/attack/attack.h"

#include <gtest/gtest.h>

#include "attack_testing.h"
#include "nnlab/core/error.h"

namespace nnlab::attack {

using namespace testing;

namespace {

AttackSettings small_budget(const std::string& method) {
  AttackSettings options;
  options.epsilon = 0.05;
  options.steps = 5;
  options.cw.steps = 20;
  options.cw.binary_steps = 2;
  options.cw.lr = 0.05;
  options.deepfool.steps = 10;
  options.batch_size = 24;
  if (method == "pgdl2") options.epsilon = 1.0;
  return options;
}

}  // namespace

TEST(Attack, UnknownMethodNamesItself) {
  try {
    make_attack("pgd2", AttackOptions{});
    FAIL() << "no exception";
  } catch (const core::OptionError& e) {
    const std::string message = e.what();
    EXPECT_EQ(e.option(), "make_attack.name");
    EXPECT_EQ(message.rfind("make_attack.name: ", 0), 0u) << message;
    EXPECT_NE(message.find("'pgd2'"), std::string::npos);
    EXPECT_NE(message.find("deepfool"), std::string::npos);
  }
}

TEST(Attack, RejectsBadOptions) {
  AttackOptions options;
  options.epsilon = -0.1;
  for (const auto& name : attack_names()) {
    EXPECT_THROW(make_attack(name, options), core::OptionError) << name;
  }
  options = AttackOptions{};
  options.steps = 0;
  EXPECT_THROW(make_attack("pgd", options), core::OptionError);
  options = AttackOptions{};
  options.batch_size = 0;
  EXPECT_THROW(make_attack("fgsm", options), core::OptionError);
  options = AttackOptions{};
  options.norm = "l7";
  EXPECT_THROW(make_attack("pgd", options), core::OptionError);
}

TEST(Attack, RejectsBadInputs) {
  const auto batch = make_batch(4, 80);
  auto fgsm = make_attack("fgsm", AttackOptions{});
  EXPECT_THROW(fgsm->run(trained_model(), batch.images * 2, batch.labels), c10::Error);
  EXPECT_THROW(fgsm->run(trained_model(), batch.images, batch.labels.slice(0, 0, 3)), c10::Error);
  EXPECT_THROW(fgsm->run(trained_model(), batch.images, batch.labels + kClasses), c10::Error);
  EXPECT_THROW(fgsm->run(trained_model(), batch.images.flatten(1), batch.labels), c10::Error);
}

TEST(Attack, RestoresTheModelModeAndLeavesParameterGradientsAlone) {
  const auto batch = make_batch(8, 81);
  auto& model = trained_model();
  for (const auto& name : attack_names()) {
    auto attack = make_attack(name, small_budget(name));
    for (const bool training : {true, false}) {
      model.train(training);
      attack->run(model, batch.images, batch.labels);
      EXPECT_EQ(model.is_training(), training) << name;
      for (const auto& p : model.parameters()) EXPECT_FALSE(p.grad().defined()) << name;
    }
  }
  model.eval();
}

TEST(Attack, SameResultInTrainAndEvalMode) {
  // lenet300 has no dropout or BatchNorm, so this checks only that the guard is in place for a
  // deterministic attack; cnn-like models would differ without it.
  const auto batch = make_batch(8, 82);
  auto& model = trained_model();
  auto attack = make_attack("fgsm", AttackOptions{});
  model.train(true);
  const auto a = attack->run(model, batch.images, batch.labels);
  model.eval();
  EXPECT_TRUE(torch::equal(a, attack->run(model, batch.images, batch.labels)));
}

TEST(Attack, ReportedSuccessIsMeasuredOnTheReturnedImages) {
  // "What is saved is what was measured": with rounding every output is on the 8-bit grid and
  // the attack's verdict equals the model's verdict on exactly those images.
  const auto batch = correct_batch(64, 83);
  for (const auto& name : attack_names()) {
    for (const bool round : {true, false}) {
      auto options = small_budget(name);
      options.round_to_8bit = round;
      torch::manual_seed(9);
      const auto result =
          make_attack(name, options)->run_with_report(trained_model(), batch.images, batch.labels);
      ASSERT_EQ(result.images.sizes(), batch.images.sizes()) << name;
      ASSERT_EQ(result.success.sizes(), batch.labels.sizes()) << name;
      EXPECT_GE(result.images.min().item<float>(), 0) << name;
      EXPECT_LE(result.images.max().item<float>(), 1) << name;
      if (round) {
        EXPECT_TRUE(is_on_8bit_grid(result.images)) << name;
      }
      const auto measured = predicted(result.images).ne(batch.labels);
      EXPECT_TRUE(torch::equal(measured, result.success)) << name << " round=" << round;
      const bool random = name == "pgd" || name == "pgdl2" || name == "difgsm";
      if (!random) {
        const auto again =
            make_attack(name, options)->run(trained_model(), batch.images, batch.labels);
        EXPECT_TRUE(torch::equal(result.images, again)) << name;
      }
    }
  }
}

TEST(Attack, TargetedTargetsAreReached) {
  const auto batch = correct_batch(32, 84);
  const auto targets = (batch.labels + 1).remainder(kClasses);
  for (const auto* name : {"pgd", "mifgsm", "cw"}) {
    auto options = small_budget(name);
    options.targeted = true;
    options.epsilon = 0.15;
    options.steps = 15;
    options.cw.steps = 50;
    options.cw.binary_steps = 3;
    const auto result =
        make_attack(name, options)->run_with_report(trained_model(), batch.images, targets);
    EXPECT_TRUE(torch::equal(predicted(result.images).eq(targets), result.success)) << name;
    EXPECT_GT(result.success.to(torch::kFloat64).mean().item<double>(), 0.7) << name;
  }
}

TEST(Attack, EmptyInputGivesEmptyOutput) {
  auto attack = make_attack("pgd", AttackOptions{});
  const auto out =
      attack->run(trained_model(), torch::zeros({0, 1, 28, 28}), torch::zeros({0}, torch::kLong));
  EXPECT_EQ(out.size(0), 0);
}

}  // namespace nnlab::attack
