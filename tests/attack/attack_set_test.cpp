#include "nnlab/attack/attack_set.h"

#include <gtest/gtest.h>

#include "attack_testing.h"
#include "nnlab/attack/pgd.h"

namespace nnlab::attack {

using namespace testing;

namespace {

AttackSetOptions quiet(std::int64_t batch_size) {
  AttackSetOptions options;
  options.batch_size = batch_size;
  options.progress = false;
  return options;
}

}  // namespace

TEST(AttackSet, MisclassifiedImagesComeBackUnchangedAndCleanLogitsAreTheModels) {
  const auto batch = make_batch(30, 85);
  // Some labels wrong on purpose: those images are not attacked.
  auto labels = batch.labels.clone();
  labels.slice(0, 0, 10).add_(1).remainder_(kClasses);
  AttackOptions options;
  options.epsilon = 0.1;
  options.steps = 3;
  Pgd pgd(options);
  const auto result = attack_set(pgd, trained_model(), batch.images, labels, {}, quiet(7));
  const auto clean_logits = logits_of(trained_model(), batch.images);
  EXPECT_TRUE(torch::allclose(result.clean_logits, clean_logits, 1e-5, 1e-6));
  const auto wrong = clean_logits.argmax(1).ne(labels);
  ASSERT_TRUE(wrong.any().item<bool>());
  const auto rows = wrong.nonzero().flatten();
  EXPECT_TRUE(
      torch::equal(result.adversarial.index_select(0, rows), batch.images.index_select(0, rows)));
  EXPECT_LE((result.adversarial - batch.images).abs().max().item<double>(), 0.1 + 1e-6);
}

TEST(AttackSet, AShardWithItsFirstKeyDrawsWhatTheWholeSetDraws) {
  const auto batch = correct_batch(24, 86);
  const auto n = batch.labels.size(0);
  AttackOptions options;
  options.epsilon = 0.05;
  options.steps = 2;
  options.seed = 4;
  Pgd pgd(options);
  const auto whole = attack_set(pgd, trained_model(), batch.images, batch.labels, {}, quiet(5));
  const auto half = n / 2;
  auto second_options = quiet(5);
  second_options.first_key = half;
  const auto second = attack_set(pgd, trained_model(), batch.images.slice(0, half),
                                 batch.labels.slice(0, half), {}, second_options);
  EXPECT_TRUE(torch::equal(second.adversarial, whole.adversarial.slice(0, half)));
}

}  // namespace nnlab::attack
