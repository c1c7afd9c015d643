#include "nnlab/attack/early_stop.h"

#include <gtest/gtest.h>

#include "attack_testing.h"

namespace nnlab::attack {

using namespace testing;

namespace {

EarlyStop::ToSaved linf_saved(double eps) {
  return [eps](const torch::Tensor& adv, const torch::Tensor& clean) {
    return quantize_in_ball(adv, clean, eps, Norm::kLinf);
  };
}

}  // namespace

TEST(EarlyStop, FreezesExactlyTheImagesWhoseSavedImageSucceeds) {
  const auto batch = correct_batch(20, 70);
  const auto n = batch.labels.size(0);
  ASSERT_GT(n, 4);
  // Every other label wrong: those images "succeed" untouched; the others do not.
  auto labels = batch.labels.clone();
  const auto odd = torch::arange(1, n, 2, torch::kLong);
  labels.index_copy_(0, odd, labels.index_select(0, odd).add(1).remainder(kClasses));
  EarlyStop stop(batch.images, labels, /*targeted=*/false, /*round_to_8bit=*/true,
                 linf_saved(0.05));
  EXPECT_EQ(stop.active().numel(), n);
  stop.update(trained_model(), batch.images);
  EXPECT_TRUE(torch::equal(stop.active(), torch::arange(0, n, 2, torch::kLong)));
  const auto result = stop.finish(trained_model(), batch.images);
  EXPECT_TRUE(torch::equal(result.success, torch::arange(n, torch::kLong).remainder(2).eq(1)));
  EXPECT_TRUE(torch::equal(result.images, quantize_8bit(batch.images)));
}

TEST(EarlyStop, AllFrozenIsFinished) {
  const auto batch = correct_batch(8, 71);
  const auto wrong = batch.labels.add(1).remainder(kClasses);
  EarlyStop stop(batch.images, wrong, /*targeted=*/false, /*round_to_8bit=*/true, linf_saved(0.05));
  stop.update(trained_model(), batch.images);
  EXPECT_TRUE(stop.finished());
  // Targeted at the true classes: reached from the start as well.
  EarlyStop targeted(batch.images, batch.labels, /*targeted=*/true, /*round_to_8bit=*/true,
                     linf_saved(0.05));
  targeted.update(trained_model(), batch.images);
  EXPECT_TRUE(targeted.finished());
}

TEST(EarlyStop, WithoutRoundingEveryImageRunsAndTheVerdictIsOptional) {
  const auto batch = correct_batch(8, 72);
  const auto wrong = batch.labels.add(1).remainder(kClasses);
  EarlyStop stop(batch.images, wrong, /*targeted=*/false, /*round_to_8bit=*/false,
                 linf_saved(0.05));
  stop.update(trained_model(), batch.images);
  EXPECT_EQ(stop.active().numel(), batch.labels.size(0));
  const auto adv = batch.images + 0.001;  // off the grid: returned as it is
  EXPECT_FALSE(stop.finish(trained_model(), adv, /*verdict=*/false).success.defined());
  const auto judged = stop.finish(trained_model(), adv);
  EXPECT_TRUE(torch::equal(judged.images, adv));
  EXPECT_TRUE(torch::equal(judged.success, predicted(adv).ne(wrong)));
}

}  // namespace nnlab::attack
