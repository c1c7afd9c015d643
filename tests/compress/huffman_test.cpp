// The canonical Huffman codec: code lengths, canonical codes, round trips on random, skewed,
// single-symbol and empty streams, length limits, and malformed input.
#include "nnlab/compress/huffman.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <stdexcept>

namespace nnlab::compress {

namespace {

std::vector<std::uint32_t> round_trip(const std::vector<std::uint32_t>& symbols,
                                      std::uint32_t alphabet, int max_length = kMaxHuffmanLength) {
  const auto stream = huffman_encode(symbols, alphabet, max_length);
  EXPECT_EQ(stream.bytes.size(), (stream.bit_count + 7) / 8);
  return huffman_decode(stream.lengths, stream.bytes.data(), stream.bytes.size(), stream.count);
}

double kraft_sum(const std::vector<std::uint8_t>& lengths) {
  double sum = 0;
  for (const auto l : lengths) {
    if (l > 0) sum += std::ldexp(1.0, -l);
  }
  return sum;
}

}  // namespace

TEST(Huffman, LengthsOfATextbookExample) {
  // Counts 45, 13, 12, 16, 9, 5 (CLRS 16.3): lengths 1, 3, 3, 3, 4, 4.
  const auto lengths = huffman_code_lengths({45, 13, 12, 16, 9, 5});
  EXPECT_EQ(lengths, (std::vector<std::uint8_t>{1, 3, 3, 3, 4, 4}));
  EXPECT_DOUBLE_EQ(kraft_sum(lengths), 1.0);
}

TEST(Huffman, CanonicalCodesAreThoseOfDeflate) {
  // RFC 1951 section 3.2.2: lengths (3, 3, 3, 3, 3, 2, 4, 4) give
  // 010, 011, 100, 101, 110, 00, 1110, 1111.
  const auto codes = canonical_codes({3, 3, 3, 3, 3, 2, 4, 4});
  EXPECT_EQ(codes, (std::vector<std::uint32_t>{2, 3, 4, 5, 6, 0, 14, 15}));
  EXPECT_THROW(canonical_codes({1, 1, 1}), std::invalid_argument);  // Kraft sum 1.5
}

TEST(Huffman, RoundTripsRandomAndSkewedStreams) {
  std::mt19937 rng(7);
  std::uniform_int_distribution<std::uint32_t> uniform(0, 255);
  std::vector<std::uint32_t> random(20000);
  for (auto& s : random) s = uniform(rng);
  EXPECT_EQ(round_trip(random, 256), random);

  // Geometric: most symbols small, like cluster indices of a pruned layer.
  std::geometric_distribution<std::uint32_t> geometric(0.3);
  std::vector<std::uint32_t> skewed(20000);
  for (auto& s : skewed) s = std::min<std::uint32_t>(geometric(rng), 31);
  const auto stream = huffman_encode(skewed, 32);
  EXPECT_EQ(huffman_decode(stream.lengths, stream.bytes.data(), stream.bytes.size(), stream.count),
            skewed);
  // Within one bit per symbol of the entropy, and well under the 5 bits of a fixed code.
  std::vector<double> p(32, 0);
  for (const auto s : skewed) p[s] += 1.0 / static_cast<double>(skewed.size());
  double entropy = 0;
  for (const double q : p) {
    if (q > 0) entropy -= q * std::log2(q);
  }
  const double bits_per_symbol =
      static_cast<double>(stream.bit_count) / static_cast<double>(skewed.size());
  EXPECT_GE(bits_per_symbol, entropy);
  EXPECT_LT(bits_per_symbol, entropy + 1);
  EXPECT_LT(bits_per_symbol, 3.5);
}

TEST(Huffman, SingleSymbolAndEmptyStreams) {
  const std::vector<std::uint32_t> same(1000, 5);
  const auto stream = huffman_encode(same, 8);
  EXPECT_EQ(stream.lengths[5], 1);
  EXPECT_EQ(stream.bit_count, 1000u);
  EXPECT_EQ(round_trip(same, 8), same);
  const std::vector<std::uint32_t> empty;
  const auto nothing = huffman_encode(empty, 8);
  EXPECT_TRUE(nothing.bytes.empty());
  EXPECT_EQ(round_trip(empty, 8), empty);
  EXPECT_TRUE(huffman_decode(nothing.lengths, nullptr, 0, 0).empty());
}

TEST(Huffman, LengthLimitKeepsAValidCode) {
  // Fibonacci counts make the deepest possible tree: 30 symbols would need 29-bit codes.
  std::vector<std::uint64_t> counts = {1, 1};
  while (counts.size() < 30)
    counts.push_back(counts[counts.size() - 1] + counts[counts.size() - 2]);
  for (const int limit : {15, 8, 5}) {
    const auto lengths = huffman_code_lengths(counts, limit);
    for (const auto l : lengths) {
      EXPECT_GE(l, 1);
      EXPECT_LE(l, limit);
    }
    EXPECT_LE(kraft_sum(lengths), 1.0);
  }
  std::vector<std::uint32_t> symbols;
  for (std::uint32_t s = 0; s < 30; ++s) {
    for (std::uint64_t k = 0; k < std::min<std::uint64_t>(counts[s], 50); ++k) symbols.push_back(s);
  }
  EXPECT_EQ(round_trip(symbols, 30, /*max_length=*/6), symbols);
  EXPECT_THROW(huffman_code_lengths(std::vector<std::uint64_t>(40, 1), 5), std::invalid_argument);
  EXPECT_THROW(huffman_code_lengths({1, 2}, 16), std::invalid_argument);
}

TEST(Huffman, MalformedStreamsAreErrorsNotCrashes) {
  std::vector<std::uint32_t> symbols(100);
  for (std::size_t i = 0; i < symbols.size(); ++i) symbols[i] = static_cast<std::uint32_t>(i % 7);
  const auto stream = huffman_encode(symbols, 7);
  // Too few bytes for the count.
  EXPECT_THROW(
      huffman_decode(stream.lengths, stream.bytes.data(), stream.bytes.size() / 2, stream.count),
      std::runtime_error);
  // Lengths that over-subscribe the code space.
  EXPECT_THROW(huffman_decode({1, 1, 1}, stream.bytes.data(), stream.bytes.size(), 10),
               std::runtime_error);
  // An incomplete code (only "0" is a code): a 1 bit is no code.
  const std::vector<std::uint8_t> ones = {0xff};
  EXPECT_THROW(huffman_decode({1, 0}, ones.data(), ones.size(), 3), std::runtime_error);
  // Symbols outside the alphabet cannot be encoded.
  EXPECT_THROW(huffman_encode({3, 9}, 8), std::invalid_argument);
}

}  // namespace nnlab::compress
