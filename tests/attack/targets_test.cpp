#include "nnlab/attack/targets.h"

#include <gtest/gtest.h>

#include "attack_testing.h"
#include "nnlab/core/error.h"

namespace nnlab::attack {

using namespace testing;

TEST(Targets, LeastLikelyIsTheArgminOverTheOtherClasses) {
  const auto batch = make_batch(40, 70);
  const auto targets = least_likely_targets(trained_model(), batch.images, batch.labels, 16);
  const auto logits = logits_of(trained_model(), batch.images);
  for (std::int64_t i = 0; i < batch.labels.size(0); ++i) {
    const auto y = batch.labels[i].item<std::int64_t>();
    const auto t = targets[i].item<std::int64_t>();
    ASSERT_NE(t, y);
    for (std::int64_t k = 0; k < kClasses; ++k) {
      if (k != y) {
        EXPECT_LE(logits[i][t].item<float>(), logits[i][k].item<float>());
      }
    }
  }
}

TEST(Targets, RandomIsSeededAndNeverTheLabel) {
  const auto labels = torch::randint(0, 10, {500}, torch::kLong);
  const auto a = random_targets(labels, 10, 42), b = random_targets(labels, 10, 42);
  EXPECT_TRUE(torch::equal(a, b));
  EXPECT_FALSE(torch::equal(a, random_targets(labels, 10, 43)));
  EXPECT_FALSE(a.eq(labels).any().item<bool>());
  EXPECT_GE(a.min().item<std::int64_t>(), 0);
  EXPECT_LT(a.max().item<std::int64_t>(), 10);
  EXPECT_EQ(std::get<0>(at::_unique(a)).numel(), 10);
}

TEST(Targets, GivenAreChecked) {
  const auto batch = make_batch(4, 71);
  const auto given = torch::tensor({0, 1, 2, 0}, torch::kLong);
  EXPECT_TRUE(torch::equal(
      choose_targets(trained_model(), batch.images, batch.labels, TargetMode::kGiven, 0, given),
      given));
  EXPECT_THROW(choose_targets(trained_model(), batch.images, batch.labels, TargetMode::kGiven, 0,
                              torch::tensor({0, 1, 3, 0}, torch::kLong)),
               c10::Error);
  EXPECT_THROW(choose_targets(trained_model(), batch.images, batch.labels, TargetMode::kGiven),
               c10::Error);
  EXPECT_EQ(parse_target_mode("least-likely"), TargetMode::kLeastLikely);
  EXPECT_THROW(parse_target_mode("most-likely"), core::OptionError);
}

}  // namespace nnlab::attack
