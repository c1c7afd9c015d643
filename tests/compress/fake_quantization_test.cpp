// Uniform (fake) quantization: the formulas by hand, the error bounds, per-channel scales.
#include "nnlab/compress/fake_quantization.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

namespace nnlab::compress {

TEST(UniformQuantization, SymmetricByHand) {
  const auto w = torch::tensor({-1.0f, -0.26f, 0.0f, 0.5f, 0.9f});
  const auto q = quantize_uniform(w, {/*bits=*/3, false, true});  // levels -3..3, s = 1/3
  EXPECT_NEAR(q.scale.item<float>(), 1.0f / 3, 1e-6);
  EXPECT_TRUE(torch::equal(q.codes, torch::tensor({-3, -1, 0, 2, 3}, torch::kInt)));
  EXPECT_TRUE(torch::allclose(dequantize_uniform(q),
                              torch::tensor({-1.0f, -1.0f / 3, 0.0f, 2.0f / 3, 1.0f})));
}

TEST(UniformQuantization, AffineKeepsZeroAndErrorIsAtMostHalfAStep) {
  torch::manual_seed(0);
  const auto w = torch::rand({64, 32}) * 3 - 0.5;  // [-0.5, 2.5)
  for (const int bits : {2, 4, 8}) {
    const auto q = quantize_uniform(w, {bits, false, false});
    EXPECT_GE(q.codes.min().item<int>(), 0);
    EXPECT_LE(q.codes.max().item<int>(), (1 << bits) - 1);
    const auto error = (dequantize_uniform(q) - w).abs().max().item<float>();
    EXPECT_LE(error, q.scale.item<float>() / 2 + 1e-6) << bits;
  }
  const auto q = quantize_uniform(torch::tensor({0.0f, 1.0f, 2.0f}), {2, false, false});
  EXPECT_FLOAT_EQ(dequantize_uniform(q)[0].item<float>(), 0.0f);
}

TEST(UniformQuantization, PerChannelScalesFollowEachRow) {
  auto w = torch::stack({torch::linspace(-1, 1, 16), torch::linspace(-0.01, 0.01, 16)});
  const auto tensor = quantize_uniform(w, {4, false, true});
  const auto channel = quantize_uniform(w, {4, true, true});
  EXPECT_EQ(channel.scale.numel(), 2);
  const auto row_error = [&](const FakeQuantizedTensor& q) {
    return (dequantize_uniform(q)[1] - w[1]).abs().max().item<float>();
  };
  EXPECT_LT(row_error(channel), row_error(tensor) / 10);  // the small row gets its own scale
  EXPECT_THROW(quantize_uniform(w, {1, false, true}), std::invalid_argument);
  EXPECT_THROW(quantize_uniform(w, {17, false, true}), std::invalid_argument);
}

}  // namespace nnlab::compress
