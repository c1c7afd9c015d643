// AutocastGuard: bf16 turns LibTorch's autocast on for its scope (a convolution's output is
// bfloat16), fp32 turns it off (float32, even inside a bf16 scope), and each restores what it
// found. AutocastCacheScope keeps the casts of weights across guards.
#include "nnlab/core/autocast.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

namespace nnlab::core {

namespace {

torch::Tensor convolution() {
  torch::manual_seed(0);
  return torch::conv2d(torch::rand({1, 2, 5, 5}), torch::rand({3, 2, 3, 3}));
}

}  // namespace

TEST(AutocastGuard, Bf16RunsConvolutionsInBfloat16) {
  EXPECT_FALSE(autocast_bf16_active(torch::kCPU));
  EXPECT_EQ(convolution().scalar_type(), torch::kFloat);
  {
    const AutocastGuard guard(Precision::kBf16, torch::kCPU);
    EXPECT_TRUE(autocast_bf16_active(torch::kCPU));
    const auto out = convolution();
    EXPECT_EQ(out.scalar_type(), torch::kBFloat16);
    // Elementwise arithmetic is not autocast: float32 stays float32.
    EXPECT_EQ((torch::rand({3}) * 2).sign().scalar_type(), torch::kFloat);
    // The same numbers within bf16's 8 bits.
    EXPECT_TRUE(torch::allclose(
        out.to(torch::kFloat),
        [] {
          const AutocastGuard fp32(Precision::kFp32, torch::kCPU);
          return convolution();
        }(),
        /*rtol=*/2e-2, /*atol=*/2e-2));
  }
  EXPECT_FALSE(autocast_bf16_active(torch::kCPU));
  EXPECT_EQ(convolution().scalar_type(), torch::kFloat);
}

TEST(AutocastGuard, Fp32InsideBf16IsFloat32AndRestores) {
  const AutocastGuard outer(Precision::kBf16, torch::kCPU);
  {
    const AutocastGuard inner(Precision::kFp32, torch::kCPU);
    EXPECT_FALSE(autocast_bf16_active(torch::kCPU));
    EXPECT_EQ(convolution().scalar_type(), torch::kFloat);
  }
  EXPECT_TRUE(autocast_bf16_active(torch::kCPU));
  EXPECT_EQ(convolution().scalar_type(), torch::kBFloat16);
}

TEST(AutocastGuard, Fp32OutsideAnyScopeChangesNothing) {
  {
    const AutocastGuard guard(Precision::kFp32, torch::kCPU);
    EXPECT_FALSE(autocast_bf16_active(torch::kCPU));
  }
  EXPECT_FALSE(autocast_bf16_active(torch::kCPU));
  EXPECT_EQ(torch::mm(torch::rand({2, 2}), torch::rand({2, 2})).scalar_type(), torch::kFloat);
}

TEST(AutocastGuard, GradientsFlowBackToFloat32Inputs) {
  auto x = torch::rand({1, 2, 5, 5}, torch::requires_grad());
  const auto w = torch::rand({3, 2, 3, 3});
  {
    const AutocastGuard guard(Precision::kBf16, torch::kCPU);
    torch::conv2d(x, w).to(torch::kFloat).sum().backward();
  }
  ASSERT_TRUE(x.grad().defined());
  EXPECT_EQ(x.grad().scalar_type(), torch::kFloat);
  // d(sum of a valid convolution)/dx is the sum of the kernel taps reaching each pixel: the
  // centre pixel is reached by every tap of every output channel.
  EXPECT_NEAR(x.grad()[0][0][2][2].item<double>(), w.select(1, 0).sum().item<double>(), 0.1);
}

// The cache scope keeps a weight's bf16 cast across guards: a change to the weight made between
// two guarded products is not seen inside the scope (the cast is reused), and is seen after it.
TEST(AutocastCacheScope, KeepsTheCastOfAWeightAcrossGuards) {
  auto weight = torch::ones({2, 2}, torch::requires_grad());  // a leaf that requires grad
  const auto x = torch::ones({1, 2});
  const auto product = [&] {
    const AutocastGuard guard(Precision::kBf16, torch::kCPU);
    return torch::mm(x, weight).to(torch::kFloat).sum().item<double>();
  };
  const auto double_the_weight = [&] {
    const torch::NoGradGuard no_grad;
    weight.mul_(2);
  };
  {
    const AutocastCacheScope scope(true);
    EXPECT_DOUBLE_EQ(product(), 4.0);
    double_the_weight();
    EXPECT_DOUBLE_EQ(product(), 4.0);                 // the cached cast of the old weight
    EXPECT_FALSE(autocast_bf16_active(torch::kCPU));  // autocast itself stays off between guards
  }
  EXPECT_DOUBLE_EQ(product(), 8.0);  // freed with the scope: cast afresh
  // Without a scope (or an inactive one) every guard casts afresh.
  const AutocastCacheScope inactive(false);
  double_the_weight();
  EXPECT_DOUBLE_EQ(product(), 16.0);
}

}  // namespace nnlab::core
