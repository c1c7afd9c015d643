#include "nnlab/attack/randomized_smoothing.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>

#include "attack_testing.h"
#include "nnlab/core/binomial_bound.h"
#include "nnlab/core/error.h"

namespace nnlab::attack {

using testing::correct_batch;
using testing::trained_model;

namespace {

SmoothingOptions small(double sigma = 0.1) {
  SmoothingOptions o;
  o.sigma = sigma;
  o.n0 = 20;
  o.n = 400;
  o.alpha = 0.001;
  o.batch_size = 128;
  o.seed = 9;
  return o;
}

}  // namespace

TEST(RandomizedSmoothing, CountsDoNotDependOnTheBatchSize) {
  const auto image = correct_batch(4, 41).images[0];
  auto one = small();
  one.batch_size = 7;
  auto all = small();
  all.batch_size = 1000;
  RandomizedSmoothing a(trained_model(), one);
  RandomizedSmoothing b(trained_model(), all);
  const auto counts = a.sample_counts(image, 300, 123);
  EXPECT_EQ(counts.size(0), testing::kClasses);
  EXPECT_EQ(counts.sum().item<std::int64_t>(), 300);
  EXPECT_TRUE(torch::equal(counts, b.sample_counts(image, 300, 123)));
  // Another seed, other draws: with sigma this large the counts are spread and differ.
  RandomizedSmoothing noisy(trained_model(), small(0.6));
  EXPECT_FALSE(
      torch::equal(noisy.sample_counts(image, 300, 1), noisy.sample_counts(image, 300, 2)));
}

TEST(RandomizedSmoothing, CertifiesTheLabelWithTheFormulaRadius) {
  const auto batch = correct_batch(8, 42);
  RandomizedSmoothing smoothing(trained_model(), small(0.1));
  for (std::int64_t i = 0; i < 3; ++i) {
    const auto c = smoothing.certify(batch.images[i], i);
    EXPECT_EQ(c.prediction, batch.labels[i].item<std::int64_t>());
    EXPECT_EQ(c.guess, c.prediction);
    EXPECT_DOUBLE_EQ(c.p_lower, core::clopper_pearson_lower(c.count, 400, 0.001));
    // sigma * Phi^-1(pA): Phi(radius / sigma) = pA, with Phi(z) = erfc(-z / sqrt 2) / 2.
    EXPECT_GT(c.radius, 0);
    EXPECT_NEAR(0.5 * std::erfc(-c.radius / 0.1 / std::sqrt(2.0)), c.p_lower, 1e-9);
    // The same image under the same index gives the same certificate.
    const auto again = smoothing.certify(batch.images[i], i);
    EXPECT_EQ(again.count, c.count);
    EXPECT_DOUBLE_EQ(again.radius, c.radius);
  }
}

TEST(RandomizedSmoothing, AbstainsWhenTooFewDrawsCanCertify) {
  // With n = 5 even 5 of 5 gives a lower bound of 0.001^(1/5) = 0.25 < 1/2.
  auto options = small(0.1);
  options.n = 5;
  RandomizedSmoothing smoothing(trained_model(), options);
  const auto batch = correct_batch(4, 43);
  const auto c = smoothing.certify(batch.images[0], 0);
  EXPECT_EQ(c.prediction, kAbstain);
  EXPECT_EQ(c.radius, 0);
  EXPECT_EQ(c.count, 5);
  EXPECT_NEAR(c.p_lower, std::pow(0.001, 0.2), 1e-12);
  // PREDICT's binomial test of 5 against 0 has p-value 2/32 > alpha: abstain too.
  EXPECT_EQ(smoothing.predict(batch.images[0], 0), kAbstain);
  options.n = 400;
  RandomizedSmoothing enough(trained_model(), options);
  EXPECT_EQ(enough.predict(batch.images[0], 0), batch.labels[0].item<std::int64_t>());
}

TEST(RandomizedSmoothing, NoiseThatDrownsTheSignalLosesTheTrueClass) {
  // The images' band is 0.1 above the noise: sigma = 0.1 keeps the class, sigma = 20 drowns it.
  const auto batch = correct_batch(16, 44);
  RandomizedSmoothing calm(trained_model(), small(0.1));
  RandomizedSmoothing wild(trained_model(), small(20.0));
  std::vector<SmoothingCertificate> certificates;
  std::vector<std::int64_t> labels;
  std::int64_t calm_hits = 0, wild_hits = 0;
  for (std::int64_t i = 0; i < 8; ++i) {
    const auto label = batch.labels[i].item<std::int64_t>();
    certificates.push_back(calm.certify(batch.images[i], i));
    labels.push_back(label);
    const auto calm_count = calm.sample_counts(batch.images[i], 400, 7)[label].item<std::int64_t>();
    const auto wild_count = wild.sample_counts(batch.images[i], 400, 7)[label].item<std::int64_t>();
    EXPECT_GE(calm_count, wild_count);
    calm_hits += calm_count;
    wild_hits += wild_count;
  }
  EXPECT_EQ(certified_accuracy(certificates, labels, {0.0})[0], 1.0);
  EXPECT_LT(wild_hits, calm_hits * 8 / 10);
}

TEST(RandomizedSmoothing, CertifiedAccuracyCountsCorrectCertificatesWithinTheRadius) {
  std::vector<SmoothingCertificate> c(4);
  c[0].prediction = 1, c[0].radius = 0.6;  // correct, radius 0.6
  c[1].prediction = 2, c[1].radius = 0.3;  // correct, radius 0.3
  c[2].prediction = 0, c[2].radius = 0.9;  // wrong
  c[3].prediction = kAbstain;              // abstained
  const auto accuracy = certified_accuracy(c, {1, 2, 1, 0}, {0.0, 0.25, 0.5, 1.0});
  ASSERT_EQ(accuracy.size(), 4u);
  EXPECT_DOUBLE_EQ(accuracy[0], 0.5);
  EXPECT_DOUBLE_EQ(accuracy[1], 0.5);
  EXPECT_DOUBLE_EQ(accuracy[2], 0.25);
  EXPECT_DOUBLE_EQ(accuracy[3], 0.0);
}

TEST(RandomizedSmoothing, RejectsBadOptions) {
  auto& model = trained_model();
  auto bad = small();
  bad.sigma = 0;
  EXPECT_THROW(RandomizedSmoothing(model, bad), core::OptionError);
  bad = small();
  bad.sigma = -0.5;
  EXPECT_THROW(RandomizedSmoothing(model, bad), core::OptionError);
  bad = small();
  bad.n0 = 0;
  EXPECT_THROW(RandomizedSmoothing(model, bad), core::OptionError);
  bad = small();
  bad.n = 0;
  EXPECT_THROW(RandomizedSmoothing(model, bad), core::OptionError);
  for (const double alpha : {0.0, 1.0, -0.1}) {
    bad = small();
    bad.alpha = alpha;
    EXPECT_THROW(RandomizedSmoothing(model, bad), core::OptionError);
  }
  bad = small();
  bad.batch_size = 0;
  EXPECT_THROW(RandomizedSmoothing(model, bad), core::OptionError);
}

TEST(GaussianAugmentation, AddsUnclampedNoiseOfSigma) {
  auto hooks = gaussian_augmentation_hooks(0.25);
  ASSERT_TRUE(hooks.transform_batch);
  torch::manual_seed(3);
  const auto images = torch::full({32, 1, 28, 28}, 0.5);
  const auto noisy =
      hooks.transform_batch(trained_model(), images, torch::zeros({32}, torch::kLong));
  const auto noise = noisy - images;
  EXPECT_NEAR(noise.std().item<double>(), 0.25, 0.005);  // 25,088 draws: std error ~0.001
  EXPECT_NEAR(noise.mean().item<double>(), 0.0, 0.01);
  EXPECT_LT(noisy.min().item<double>(), 0.0);  // not clamped to [0, 1], as in the reference
  EXPECT_GT(noisy.max().item<double>(), 1.0);
  EXPECT_THROW(gaussian_augmentation_hooks(0), core::OptionError);
  EXPECT_THROW(gaussian_augmentation_hooks(-1), core::OptionError);
}

}  // namespace nnlab::attack
