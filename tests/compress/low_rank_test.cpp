// Low-rank factorization: the SVD factors, the rank rules, the edited model and bad input.
#include "nnlab/compress/low_rank.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include "nnlab/core/error.h"
#include "nnlab/models/checkpoint.h"
#include "nnlab/models/registry.h"
#include "nnlab/models/summary.h"

namespace nnlab::compress {

namespace {

torch::Tensor weight_of(const models::Classifier& model, const std::string& name) {
  for (const auto& [key, t] : model.named_parameters()) {
    if (key == name) return t.detach();
  }
  return {};
}

}  // namespace

TEST(LowRank, RankForEnergyIsTheSmallestPrefixReachingIt) {
  const auto s = torch::tensor({3.0, 2.0, 1.0, 1.0});  // squares 9, 4, 1, 1 of 15
  EXPECT_EQ(rank_for_energy(s, 0.5), 1);               // 9/15 = 0.6
  EXPECT_EQ(rank_for_energy(s, 0.6), 1);
  EXPECT_EQ(rank_for_energy(s, 0.61), 2);  // 13/15
  EXPECT_EQ(rank_for_energy(s, 0.9), 3);   // 14/15
  EXPECT_EQ(rank_for_energy(s, 1.0), 4);
}

TEST(LowRank, AFullRankFactorizationIsExactAndATruncatedOneIsTheBestApproximation) {
  torch::manual_seed(1);
  auto model = models::create_model("lenet300");
  model.eval();
  const auto w = weight_of(model, "fc2.weight").clone();  // 100 x 300
  const auto x = torch::rand({5, 1, 28, 28});
  const auto before = model(x);
  LowRankOptions options;
  options.layers = {"fc2"};
  options.rank = 100;
  const auto report = factorize_linear(model, options);
  ASSERT_EQ(report.size(), 1u);
  EXPECT_EQ(report[0].rank, 100);
  EXPECT_NEAR(report[0].energy_kept, 1.0, 1e-9);
  EXPECT_TRUE(torch::allclose(model(x), before, 1e-4, 1e-5));
  const auto product =
      torch::matmul(weight_of(model, "fc2.1.weight"), weight_of(model, "fc2.0.weight"));
  EXPECT_TRUE(torch::allclose(product, w, 1e-4, 1e-5));

  // Truncated: the error is the energy of the dropped singular values (Eckart-Young).
  torch::manual_seed(1);
  auto truncated = models::create_model("lenet300");
  options.rank = 10;
  factorize_linear(truncated, options);
  const auto s = torch::linalg_svdvals(w.to(torch::kDouble));
  const auto low =
      torch::matmul(weight_of(truncated, "fc2.1.weight"), weight_of(truncated, "fc2.0.weight"));
  const double error = (low - w).to(torch::kDouble).pow(2).sum().item<double>();
  EXPECT_NEAR(error, s.slice(0, 10).pow(2).sum().item<double>(), 1e-3);
}

TEST(LowRank, LeNet300FirstLayerAtRank32KeepsUnderFifteenPercentAndReloads) {
  torch::manual_seed(2);
  auto model = models::create_model("lenet300");
  LowRankOptions options;
  options.layers = {"fc1"};
  options.rank = 32;
  const auto report = factorize_linear(model, options);
  EXPECT_EQ(report[0].params_before, 784 * 300 + 300);
  EXPECT_EQ(report[0].params_after, 32 * (784 + 300) + 300);
  EXPECT_LT(report[0].params_after * 100, report[0].params_before * 15);
  EXPECT_EQ(model.info().edits.size(), 1u);

  const std::string path = ::testing::TempDir() + "/factorized.ckpt";
  models::save_checkpoint(path, models::make_checkpoint(model));
  auto copy = models::classifier_from_checkpoint(models::read_checkpoint(path), path);
  model.eval();
  copy.eval();
  const auto x = torch::rand({3, 1, 28, 28});
  EXPECT_TRUE(torch::allclose(copy(x), model(x)));
}

TEST(LowRank, BudgetAndEnergyChooseTheRank) {
  torch::manual_seed(3);
  auto model = models::create_model("lenet300");
  LowRankOptions options;
  options.layers = {"fc1"};
  options.budget = 0.15;  // k (784 + 300) <= 0.15 * 784 * 300: k = 32
  EXPECT_EQ(factorize_linear(model, options)[0].rank, 32);
  auto other = models::create_model("lenet300");
  LowRankOptions energy;
  energy.layers = {"fc2"};
  energy.energy = 0.5;
  const auto layer = factorize_linear(other, energy)[0];
  EXPECT_GE(layer.energy_kept, 0.5);
  EXPECT_LT(layer.rank, 100);
}

TEST(LowRank, BadInput) {
  auto model = models::create_model("lenet300");
  LowRankOptions options;
  options.rank = 8;
  EXPECT_THROW(factorize_linear(model, options), core::OptionError);  // no layers
  options.layers = {"fc2"};
  options.rank = 101;  // fc2 is 100 x 300
  EXPECT_THROW(factorize_linear(model, options), core::OptionError);
  options.rank = 0;
  EXPECT_THROW(factorize_linear(model, options), core::OptionError);  // no rule
  options.energy = 1.5;
  EXPECT_THROW(factorize_linear(model, options), core::OptionError);
  options = {};
  options.layers = {"fc7"};
  options.rank = 4;
  EXPECT_THROW(factorize_linear(model, options), core::OptionError);
  auto cnn = models::create_model("cnn");
  options.layers = {"features.0"};
  EXPECT_THROW(factorize_linear(cnn, options), core::OptionError);  // a convolution
}

}  // namespace nnlab::compress
