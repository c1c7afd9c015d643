// Relative positions of the weights a pruned layer keeps (Deep Compression, section 2): instead
// of absolute indices, each kept weight stores its distance from the previous one in a few bits
// (the paper: 8 for conv, 5 for fully connected layers). When a distance does not fit, a filler
// entry (a zero weight) is placed at the largest distance that does, and counting goes on from it.
//
// Entry e_i sits at position p_i = p_{i-1} + gap_i (p_{-1} = -1) and stores gap_i - 1, a value in
// 0..2^bits - 1. Fillers are ordinary entries whose weight is zero, so a decoder needs no flag:
// it writes every entry's value at its position, and a filler writes the zero that was there.
#pragma once

#include <cstdint>
#include <vector>

namespace nnlab::compress {

struct SparseEntries {
  std::vector<std::uint32_t> gaps;      // gap - 1 per entry, each below 2^bits
  std::vector<std::int64_t> positions;  // the entry's position in the flattened tensor
  std::vector<bool> filler;             // true for entries that hold no kept weight
};

// kept: the positions of the kept weights, strictly increasing. Throws std::invalid_argument for
// bits outside 1..16 or positions that are not strictly increasing and non-negative.
SparseEntries encode_positions(const std::vector<std::int64_t>& kept, int bits);

// Positions of all entries (kept and fillers) from the stored gaps.
std::vector<std::int64_t> decode_positions(const std::vector<std::uint32_t>& gaps);

}  // namespace nnlab::compress
