#include "nnlab/attack/loss.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <algorithm>
#include <cmath>

#include "nnlab/attack/objective.h"
#include "nnlab/core/error.h"

namespace nnlab::attack {

namespace {

// One row sorted 3 > 2 > 1 > 0: z_pi1 = 3 (class 0), z_pi2 = 2 (class 2), z_pi3 = 1 (class 1),
// z_pi4 = 0 (class 3).
torch::Tensor logits() {
  return torch::tensor({3.0, 1.0, 2.0, 0.0}, torch::kDouble).view({1, 4});
}

torch::Tensor label(std::int64_t k) {
  return torch::tensor({k}, torch::kLong);
}

double value(const torch::Tensor& t) {
  return t.item<double>();
}

}  // namespace

TEST(Loss, CrossEntropyByHand) {
  const double log_sum = std::log(std::exp(3.0) + std::exp(1.0) + std::exp(2.0) + 1.0);
  EXPECT_NEAR(value(attack::cross_entropy_loss(logits(), label(0))), log_sum - 3, 1e-12);
  EXPECT_NEAR(value(make_loss("ce", false)(logits(), label(2))), log_sum - 2, 1e-12);
  EXPECT_NEAR(value(make_loss("ce", true)(logits(), label(3))), -(log_sum - 0), 1e-12);
}

TEST(Loss, CrossEntropyByNameIsTheDefaultObjectiveBitForBit) {
  torch::manual_seed(0);
  const auto z = torch::randn({16, 10});
  const auto y = torch::randint(10, {16}, torch::kLong);
  for (const bool targeted : {false, true}) {
    EXPECT_TRUE(torch::equal(make_loss("ce", targeted)(z, y), attack_loss(z, y, targeted)));
    EXPECT_TRUE(
        torch::equal(AttackLoss("ce", targeted, nullptr)(z, y), attack_loss(z, y, targeted)));
  }
}

TEST(Loss, DlrByHand) {
  // y = 0 is the top class: -(3 - 2) / (3 - 1).
  EXPECT_NEAR(value(dlr_loss(logits(), label(0))), -0.5, 1e-12);
  // y = 2 is second: -(2 - 3) / (3 - 1).
  EXPECT_NEAR(value(dlr_loss(logits(), label(2))), 0.5, 1e-12);
  // y = 3 is last: -(0 - 3) / 2.
  EXPECT_NEAR(value(make_loss("dlr", false)(logits(), label(3))), 1.5, 1e-12);
}

TEST(Loss, TargetedDlrByHand) {
  // y = 0, t = 3: -(3 - 0) / (3 - (1 + 0) / 2) = -3 / 2.5.
  EXPECT_NEAR(value(targeted_dlr_loss(logits(), label(0), label(3))), -1.2, 1e-12);
  // y = 1, t = 0: -(1 - 3) / 2.5.
  EXPECT_NEAR(value(make_loss("dlr", true)(logits(), /*goals=*/label(0), /*labels=*/label(1))), 0.8,
              1e-12);
  // The targeted form needs the true labels as well as the targets.
  EXPECT_THROW(make_loss("dlr", true)(logits(), label(0)), c10::Error);
}

TEST(Loss, DlrIsInvariantToShiftAndScale) {
  torch::manual_seed(1);
  const auto z = torch::randn({8, 10}, torch::kDouble);
  const auto y = torch::randint(10, {8}, torch::kLong);
  const auto t = (y + 1).remainder(10);
  EXPECT_TRUE(torch::allclose(dlr_loss(z, y), dlr_loss(7 * z - 3, y), 1e-9, 1e-12));
  EXPECT_TRUE(
      torch::allclose(targeted_dlr_loss(z, y, t), targeted_dlr_loss(7 * z - 3, y, t), 1e-9, 1e-12));
}

TEST(Loss, DlrNeedsEnoughClasses) {
  const auto two = torch::tensor({1.0, 0.0}).view({1, 2});
  EXPECT_THROW(dlr_loss(two, label(0)), c10::Error);
  const auto three = torch::tensor({1.0, 0.0, 2.0}).view({1, 3});
  EXPECT_THROW(targeted_dlr_loss(three, label(0), label(1)), c10::Error);
}

TEST(Loss, MarginByHand) {
  EXPECT_NEAR(value(margin_loss(logits(), label(0))), 2 - 3, 1e-12);
  EXPECT_NEAR(value(margin_loss(logits(), label(1))), 3 - 1, 1e-12);
  EXPECT_NEAR(value(targeted_margin_loss(logits(), label(3))), 0 - 3, 1e-12);
  EXPECT_NEAR(value(make_loss("margin", true)(logits(), label(0))), 3 - 2, 1e-12);
}

TEST(Loss, MarginGradientRaisesTheRunnerUpAndLowersTheLabel) {
  const auto z = logits().clone().requires_grad_(true);
  margin_loss(z, label(0)).sum().backward();
  EXPECT_TRUE(
      torch::equal(z.grad(), torch::tensor({-1.0, 0.0, 1.0, 0.0}, torch::kDouble).view({1, 4})));
}

TEST(Loss, UnknownNameNamesTheOptionField) {
  try {
    make_loss("hinge", false);
    FAIL() << "no exception";
  } catch (const core::OptionError& e) {
    const std::string message = e.what();
    EXPECT_NE(message.find("AttackOptions.loss"), std::string::npos) << message;
    EXPECT_NE(message.find("'hinge'"), std::string::npos) << message;
    EXPECT_NE(message.find("dlr"), std::string::npos) << message;
  }
  const auto names = loss_names();
  for (const char* name : {"ce", "dlr", "margin"}) {
    EXPECT_NE(std::find(names.begin(), names.end(), name), names.end()) << name;
    EXPECT_FALSE(loss_help(name).empty()) << name;
  }
}

}  // namespace nnlab::attack
