#include "nnlab/attack/pixel_grid.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

namespace nnlab::attack {

TEST(PixelGrid, QuantizeRoundsToTheNearestLevelAndClamps) {
  const auto x = torch::tensor({-0.2f, 0.0f, 0.3f / 255, 0.6f / 255, 100.49f / 255, 1.3f});
  const auto expected = torch::tensor({0.0f, 0.0f, 0.0f, 1.0f / 255, 100.0f / 255, 1.0f});
  EXPECT_TRUE(torch::allclose(quantize_8bit(x), expected, 0, 1e-7));
  EXPECT_TRUE(is_on_8bit_grid(quantize_8bit(torch::rand({100}))));
  EXPECT_FALSE(is_on_8bit_grid(torch::tensor({0.5f})));
}

TEST(PixelGrid, LinfBallWithAFractionalBudgetKeepsWholeLevels) {
  // eps = 25.5 levels: +eps rounds to +26 levels, outside the ball; the result keeps 25.
  const auto clean = torch::full({1, 1, 2, 2}, 100.0f / 255);
  const auto adversarial = clean + torch::tensor({0.1f, -0.1f, 0.05f, 0.0f}).view({1, 1, 2, 2});
  const auto saved = quantize_in_ball(adversarial, clean, 0.1, Norm::kLinf);
  const auto levels = (saved * 255).round().flatten();
  EXPECT_TRUE(torch::equal(levels, torch::tensor({125.0f, 75.0f, 113.0f, 100.0f})));
}

TEST(PixelGrid, LinfBallSmallerThanALevelOffTheGridTakesTheNearestToClean) {
  const auto clean = torch::full({1, 1, 1, 1}, 100.4f / 255);
  const auto saved = quantize_in_ball(clean + 0.001, clean, 0.001, Norm::kLinf);
  EXPECT_FLOAT_EQ(saved.item<float>() * 255, 100.0f);
}

TEST(PixelGrid, L2BallStaysInsideAfterRounding) {
  torch::manual_seed(0);
  const auto clean = quantize_8bit(torch::rand({8, 3, 6, 6}));
  const auto direction = torch::randn({8, 3, 6, 6});
  for (const double eps : {0.01, 0.05, 0.3, 1.0}) {
    const auto saved = quantize_in_ball(clean + direction, clean, eps, Norm::kL2);
    EXPECT_TRUE(is_on_8bit_grid(saved));
    EXPECT_LE(per_image_norm(saved - clean, Norm::kL2).max().item<double>(), eps + 1e-5) << eps;
    EXPECT_GE(saved.min().item<float>(), 0);
    EXPECT_LE(saved.max().item<float>(), 1);
  }
}

TEST(NormBall, ProjectionAndRandomStartStayInside) {
  torch::manual_seed(1);
  const auto clean = torch::rand({6, 1, 5, 5});
  for (const auto norm : {Norm::kLinf, Norm::kL2}) {
    const double eps = norm == Norm::kLinf ? 0.1 : 0.5;
    for (const auto& x : {project_to_ball(clean + torch::randn_like(clean), clean, eps, norm),
                          random_start(clean, eps, norm)}) {
      EXPECT_LE(per_image_norm(x - clean, norm).max().item<double>(), eps + 1e-6);
      EXPECT_GE(x.min().item<float>(), 0);
      EXPECT_LE(x.max().item<float>(), 1);
    }
  }
  // A point inside is left alone.
  const auto inside = (clean + 0.01).clamp(0, 1);
  EXPECT_TRUE(torch::allclose(project_to_ball(inside, clean, 0.1, Norm::kLinf), inside));
}

TEST(NormBall, UnknownNormIsAnOptionError) {
  EXPECT_EQ(parse_norm("l2"), Norm::kL2);
  try {
    parse_norm("l1");
    FAIL() << "no exception";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("l1"), std::string::npos);
  }
}

}  // namespace nnlab::attack
