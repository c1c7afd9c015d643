#include "nnlab/train/temperature.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>

namespace nnlab::train {

TEST(Temperature, IsLogSoftmaxOfTheScaledLogitsByHand) {
  const auto logits = torch::tensor({{1.0, 2.0, 4.0}}, torch::kDouble);
  const auto out = temperature_log_softmax(logits, 2.0);
  // softmax([0.5, 1, 2]): exp(z_i) / (e^0.5 + e^1 + e^2)
  const double total = std::exp(0.5) + std::exp(1.0) + std::exp(2.0);
  EXPECT_NEAR(out[0][0].item<double>(), 0.5 - std::log(total), 1e-12);
  EXPECT_NEAR(out[0][1].item<double>(), 1.0 - std::log(total), 1e-12);
  EXPECT_NEAR(out[0][2].item<double>(), 2.0 - std::log(total), 1e-12);
  // T = 1 is the plain log-softmax.
  EXPECT_TRUE(
      torch::allclose(temperature_log_softmax(logits, 1.0), torch::log_softmax(logits, -1)));
}

TEST(Temperature, HighFlattensLowSharpensAlongTheDimensionAsked) {
  const auto logits = torch::tensor({{0.0, 3.0}, {1.0, -1.0}});
  const auto p1 = temperature_log_softmax(logits, 1.0).exp();
  const auto hot = temperature_log_softmax(logits, 10.0).exp();
  const auto cold = temperature_log_softmax(logits, 0.1).exp();
  EXPECT_LT(hot[0][1].item<float>(), p1[0][1].item<float>());
  EXPECT_GT(hot[0][1].item<float>(), 0.5f);
  EXPECT_GT(cold[0][1].item<float>(), 0.999f);
  // Along dim 0, each column sums to 1.
  const auto columns = temperature_log_softmax(logits, 2.0, /*dim=*/0).exp().sum(0);
  EXPECT_TRUE(torch::allclose(columns, torch::ones({2})));
}

TEST(Temperature, RefusesANonPositiveTemperature) {
  const auto logits = torch::zeros({1, 3});
  EXPECT_THROW(temperature_log_softmax(logits, 0.0), c10::Error);
  EXPECT_THROW(temperature_log_softmax(logits, -1.0), c10::Error);
}

}  // namespace nnlab::train
