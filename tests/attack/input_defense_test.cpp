#include "nnlab/attack/input_defense.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include "attack_testing.h"
#include "nnlab/core/error.h"

namespace nnlab::attack {

TEST(InputDefense, MedianFilterEqualsTheNaiveMedian) {
  torch::manual_seed(1);
  const auto x = torch::rand({2, 3, 6, 5});
  const auto filtered = median_filter(x, 3);
  ASSERT_EQ(filtered.sizes(), x.sizes());
  // Reflect padding: index -1 reads index 1, index H reads H-2.
  auto reflect = [](std::int64_t i, std::int64_t size) {
    return i < 0 ? -i : (i >= size ? 2 * size - 2 - i : i);
  };
  for (std::int64_t n = 0; n < 2; ++n) {
    for (std::int64_t c = 0; c < 3; ++c) {
      for (std::int64_t h = 0; h < 6; ++h) {
        for (std::int64_t w = 0; w < 5; ++w) {
          std::vector<float> window;
          for (int dh = -1; dh <= 1; ++dh) {
            for (int dw = -1; dw <= 1; ++dw) {
              window.push_back(x[n][c][reflect(h + dh, 6)][reflect(w + dw, 5)].item<float>());
            }
          }
          std::nth_element(window.begin(), window.begin() + 4, window.end());
          EXPECT_FLOAT_EQ(filtered[n][c][h][w].item<float>(), window[4]);
        }
      }
    }
  }
}

TEST(InputDefense, MedianFilterRemovesAnIsolatedPixel) {
  auto x = torch::full({1, 1, 8, 8}, 0.25);
  x[0][0][3][4] = 1.0;
  EXPECT_TRUE(torch::equal(median_filter(x, 3), torch::full({1, 1, 8, 8}, 0.25)));
}

TEST(InputDefense, BitDepthReduction) {
  const auto x = torch::linspace(0, 1, 256).view({1, 1, 16, 16});
  const auto one_bit = reduce_bit_depth(x, 1);
  EXPECT_TRUE(one_bit.eq(0).logical_or(one_bit.eq(1)).all().item<bool>());
  EXPECT_EQ(std::get<0>(at::_unique(reduce_bit_depth(x, 3))).numel(), 8);
  // The 8-bit grid is a fixed point of 8 bits.
  EXPECT_LE((reduce_bit_depth(x, 8) - x).abs().max().item<double>(), 1e-6);
}

TEST(InputDefense, JpegKeepsShapeAndLosesMoreAtLowQuality) {
  torch::manual_seed(2);
  // A smooth image plus noise: JPEG keeps the first and drops the second.
  const auto smooth = torch::linspace(0.2, 0.8, 32).view({1, 1, 1, 32}).expand({2, 3, 32, 32});
  const auto x = (smooth + 0.05 * torch::randn({2, 3, 32, 32})).clamp(0, 1);
  const auto high = jpeg_compress(x, 95);
  const auto low = jpeg_compress(x, 10);
  ASSERT_EQ(high.sizes(), x.sizes());
  const auto error = [&](const torch::Tensor& y) { return (y - x).abs().mean().item<double>(); };
  EXPECT_LT(error(high), 0.05);
  EXPECT_GT(error(low), error(high));
  const auto clean = smooth.contiguous();
  EXPECT_LT((jpeg_compress(clean, 95) - clean).abs().mean().item<double>(), 0.01);
  // Decoded JPEG lies on the 8-bit grid.
  EXPECT_LE((low * 255 - (low * 255).round()).abs().max().item<double>(), 1e-4);
  const auto gray = jpeg_compress(x.slice(1, 0, 1), 75);
  EXPECT_EQ(gray.size(1), 1);
}

TEST(InputDefense, ParsesSpecsAndRejectsBadOnes) {
  const auto defenses = parse_defenses("median:3,bits:4,jpeg:75");
  ASSERT_EQ(defenses.size(), 3u);
  EXPECT_EQ(defenses[1].spec, "bits:4");
  EXPECT_TRUE(parse_defenses("").empty());
  for (const auto* bad :
       {"median:4", "median", "jpeg:0", "jpeg:101", "bits:9", "bits:x", "blur:3"}) {
    SCOPED_TRACE(bad);
    EXPECT_THROW(parse_defense(bad), core::OptionError);
  }
}

TEST(InputDefense, DefendedAccuracyIsTheAccuracyOnTransformedImages) {
  const auto batch = testing::make_batch(100, 21);
  auto& model = testing::trained_model();
  const auto accuracy = [&](const torch::Tensor& images) {
    return logits_of(model, images)
        .argmax(1)
        .eq(batch.labels)
        .to(torch::kFloat64)
        .mean()
        .item<double>();
  };
  EXPECT_DOUBLE_EQ(
      defended_accuracy(model, parse_defense("bits:8"), batch.images, batch.labels, 32),
      accuracy(batch.images));
  EXPECT_DOUBLE_EQ(
      defended_accuracy(model, parse_defense("median:5"), batch.images, batch.labels, 32),
      accuracy(median_filter(batch.images, 5)));
}

}  // namespace nnlab::attack
