// Relative positions with fillers (Deep Compression, figure 3).
#include "nnlab/compress/sparse_index.h"

#include <gtest/gtest.h>

#include <random>
#include <stdexcept>

namespace nnlab::compress {

TEST(SparseIndex, ThePapersExample) {
  // 3-bit gaps (at most 8): kept weights at 1, 4 and 15. From 4 to 15 is 11 > 8: a filler at 12.
  const auto entries = encode_positions({1, 4, 15}, 3);
  EXPECT_EQ(entries.gaps, (std::vector<std::uint32_t>{1, 2, 7, 2}));  // gaps 2, 3, 8, 3
  EXPECT_EQ(entries.positions, (std::vector<std::int64_t>{1, 4, 12, 15}));
  EXPECT_EQ(entries.filler, (std::vector<bool>{false, false, true, false}));
  EXPECT_EQ(decode_positions(entries.gaps), entries.positions);
}

TEST(SparseIndex, RoundTripsRandomMasksAtEveryWidth) {
  std::mt19937 rng(3);
  std::bernoulli_distribution keep(0.08);
  std::vector<std::int64_t> kept;
  for (std::int64_t i = 0; i < 50000; ++i) {
    if (keep(rng)) kept.push_back(i);
  }
  for (const int bits : {1, 2, 5, 8}) {
    const auto entries = encode_positions(kept, bits);
    for (const auto g : entries.gaps) EXPECT_LT(g, 1u << bits);
    const auto positions = decode_positions(entries.gaps);
    std::vector<std::int64_t> decoded;
    for (std::size_t i = 0; i < positions.size(); ++i) {
      if (!entries.filler[i]) decoded.push_back(positions[i]);
    }
    EXPECT_EQ(decoded, kept) << bits;
  }
  // Fewer bits, more fillers: at 8% density most gaps fit in 5 bits, few in 2.
  EXPECT_LT(encode_positions(kept, 5).gaps.size(), kept.size() * 11 / 10);
  EXPECT_GT(encode_positions(kept, 2).gaps.size(), kept.size() * 2);
}

TEST(SparseIndex, EmptyAndBadInput) {
  EXPECT_TRUE(encode_positions({}, 4).gaps.empty());
  EXPECT_TRUE(decode_positions({}).empty());
  EXPECT_THROW(encode_positions({3, 3}, 4), std::invalid_argument);
  EXPECT_THROW(encode_positions({-2}, 4), std::invalid_argument);
  EXPECT_THROW(encode_positions({1}, 0), std::invalid_argument);
}

}  // namespace nnlab::compress
