#include "nnlab/attack/pgd.h"

#include <gtest/gtest.h>

#include "attack_testing.h"
#include "nnlab/attack/fgsm.h"
#include "nnlab/attack/targets.h"

namespace nnlab::attack {

using namespace testing;

namespace {

struct Case {
  Norm norm;
  double eps;
  bool round;
};

}  // namespace

TEST(Pgd, StaysInsideTheBallAndTheImageRange) {
  const auto batch = make_batch(48, 10);
  for (const auto& c : {Case{Norm::kLinf, 0.05, false}, Case{Norm::kLinf, 0.1, true},
                        Case{Norm::kL2, 1.0, false}, Case{Norm::kL2, 1.5, true}}) {
    AttackSettings options;
    options.norm = norm_name(c.norm);
    options.epsilon = c.eps;
    options.round_to_8bit = c.round;
    options.steps = 8;
    options.pgd.restarts = 2;
    torch::manual_seed(3);
    const auto adversarial =
        Pgd(options, options.pgd).run(trained_model(), batch.images, batch.labels);
    const auto d = per_image_norm(adversarial - batch.images, c.norm);
    EXPECT_LE(d.max().item<double>(), c.eps + (c.norm == Norm::kLinf ? 1e-6 : 1e-5))
        << options.norm;
    EXPECT_GE(adversarial.min().item<float>(), 0);
    EXPECT_LE(adversarial.max().item<float>(), 1);
    EXPECT_EQ(is_on_8bit_grid(adversarial), c.round) << options.norm;
  }
}

TEST(Pgd, AtLeastAsStrongAsFgsmAtTheSameBudget) {
  const auto batch = correct_batch(96, 11);
  AttackOptions options;
  options.epsilon = 0.06;
  const auto fgsm = Fgsm(options).run_with_report(trained_model(), batch.images, batch.labels);
  torch::manual_seed(4);
  const auto pgd = Pgd(options).run_with_report(trained_model(), batch.images, batch.labels);
  const auto fgsm_rate = fgsm.success.to(torch::kFloat64).mean().item<double>();
  const auto pgd_rate = pgd.success.to(torch::kFloat64).mean().item<double>();
  EXPECT_GE(pgd_rate, fgsm_rate);
  EXPECT_GT(pgd_rate, 0.5);
}

TEST(Pgd, MoreStepsDoNotReduceSuccess) {
  // Rounding-aware early stopping freezes every success, and with a fixed step and seed the
  // 4-step run is a prefix of the 16-step one.
  const auto batch = correct_batch(96, 12);
  AttackOptions options;
  options.epsilon = 0.05;
  options.step_size = 0.01;
  double first = -1, previous = -1;
  for (const int steps : {1, 4, 16}) {
    options.steps = steps;
    torch::manual_seed(5);
    const auto result = Pgd(options).run_with_report(trained_model(), batch.images, batch.labels);
    const auto rate = result.success.to(torch::kFloat64).mean().item<double>();
    EXPECT_GE(rate, previous) << steps << " steps";
    if (first < 0) first = rate;
    previous = rate;
  }
  EXPECT_GT(previous, first);
}

TEST(Pgd, TargetedReachesTheLeastLikelyClass) {
  const auto batch = correct_batch(64, 13);
  const auto targets = least_likely_targets(trained_model(), batch.images, batch.labels);
  for (const auto* norm : {"linf", "l2"}) {
    AttackOptions options;
    options.targeted = true;
    options.norm = norm;
    options.epsilon = std::string(norm) == "linf" ? 0.15 : 3.0;
    options.steps = 20;
    torch::manual_seed(6);
    const auto result = Pgd(options).run_with_report(trained_model(), batch.images, targets);
    EXPECT_GT(success_rate(result.images, targets, /*targeted=*/true), 0.8) << norm;
    const auto before =
        torch::softmax(logits_of(trained_model(), batch.images), 1).gather(1, targets.unsqueeze(1));
    const auto after = torch::softmax(logits_of(trained_model(), result.images), 1)
                           .gather(1, targets.unsqueeze(1));
    EXPECT_GT(after.gt(before).to(torch::kFloat64).mean().item<double>(), 0.9) << norm;
  }
}

TEST(Pgd, RestartsKeepTheBestPerImage) {
  const auto batch = correct_batch(64, 14);
  AttackSettings options;
  options.epsilon = 0.02;
  options.steps = 3;
  options.round_to_8bit = false;
  torch::manual_seed(8);
  const auto one =
      Pgd(options, options.pgd).run_with_report(trained_model(), batch.images, batch.labels);
  options.pgd.restarts = 4;
  torch::manual_seed(8);
  const auto four =
      Pgd(options, options.pgd).run_with_report(trained_model(), batch.images, batch.labels);
  // The first restart is the single run; later ones only replace failures.
  EXPECT_TRUE(four.success.logical_or(one.success.logical_not()).all().item<bool>());
  EXPECT_GE(four.success.sum().item<std::int64_t>(), one.success.sum().item<std::int64_t>());
}

}  // namespace nnlab::attack

namespace nnlab::attack {

using namespace testing;

TEST(Pgd, KeyedRandomStartsDoNotDependOnBatchingOrOrder) {
  const auto batch = make_batch(24, 21);
  for (const auto* norm : {"linf", "l2"}) {
    AttackSettings options;
    options.norm = norm;
    options.epsilon = std::string(norm) == "l2" ? 1.0 : 0.05;
    options.steps = 3;
    options.pgd.restarts = 2;
    options.seed = 17;
    const auto keys = torch::arange(100, 124, torch::kLong);
    // The whole set in batches of 24, of 5, and in reverse order: image k gets the same result.
    options.batch_size = 24;
    Pgd whole(options, options.pgd);
    whole.set_image_keys(keys);
    torch::manual_seed(1);
    const auto a = whole.run(trained_model(), batch.images, batch.labels);
    options.batch_size = 5;
    Pgd small(options, options.pgd);
    small.set_image_keys(keys);
    torch::manual_seed(2);  // the default generator plays no part
    const auto b = small.run(trained_model(), batch.images, batch.labels);
    EXPECT_TRUE(torch::equal(a, b)) << norm;
    const auto reverse = torch::arange(23, -1, -1, torch::kLong);
    small.set_image_keys(keys.index_select(0, reverse));
    const auto c = small.run(trained_model(), batch.images.index_select(0, reverse),
                             batch.labels.index_select(0, reverse));
    EXPECT_TRUE(torch::equal(a, c.index_select(0, reverse))) << norm;
    // Another seed draws other starts.
    options.seed = 18;
    Pgd other(options, options.pgd);
    other.set_image_keys(keys);
    EXPECT_FALSE(torch::equal(a, other.run(trained_model(), batch.images, batch.labels))) << norm;
  }
}

TEST(Pgd, KeyedRandomStartsAreUniformInTheBall) {
  const auto clean = torch::full({400, 1, 8, 8}, 0.5);
  const auto keys = torch::arange(400, torch::kLong);
  const auto d = random_start(clean, 0.1, Norm::kLinf, keys, 3) - clean;
  EXPECT_LE(d.abs().max().item<double>(), 0.1 + 1e-6);
  EXPECT_NEAR(d.mean().item<double>(), 0, 2e-3);
  EXPECT_NEAR(d.abs().mean().item<double>(), 0.05, 2e-3);  // E|U(-e, e)| = e / 2
  // Streams (restarts) differ; the same key and stream repeat.
  const auto again = random_start(clean, 0.1, Norm::kLinf, keys, 3) - clean;
  EXPECT_TRUE(torch::equal(d, again));
  const auto stream1 = random_start(clean, 0.1, Norm::kLinf, keys, 3, 1) - clean;
  EXPECT_FALSE(torch::equal(d, stream1));
  // L2: every radius inside eps, spread over (0, eps) (mean of U(0,1) * eps).
  const auto l2 = per_image_norm(random_start(clean, 1.0, Norm::kL2, keys, 3) - clean, Norm::kL2);
  EXPECT_LE(l2.max().item<double>(), 1.0 + 1e-5);
  EXPECT_NEAR(l2.mean().item<double>(), 0.5, 0.05);
}

}  // namespace nnlab::attack
