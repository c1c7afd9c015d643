#include "nnlab/compress/sparse_index.h"

#include <stdexcept>
#include <string>

namespace nnlab::compress {

SparseEntries encode_positions(const std::vector<std::int64_t>& kept, int bits) {
  if (bits < 1 || bits > 16) {
    throw std::invalid_argument("relative index: bits must be in 1..16, got " +
                                std::to_string(bits));
  }
  const std::int64_t max_gap = std::int64_t{1} << bits;  // a stored value of 2^bits - 1
  SparseEntries out;
  std::int64_t previous = -1;
  for (const auto position : kept) {
    if (position <= previous) {
      throw std::invalid_argument(
          "relative index: positions must be strictly increasing and "
          "non-negative, got " +
          std::to_string(position) + " after " + std::to_string(previous));
    }
    while (position - previous > max_gap) {
      previous += max_gap;
      out.gaps.push_back(static_cast<std::uint32_t>(max_gap - 1));
      out.positions.push_back(previous);
      out.filler.push_back(true);
    }
    out.gaps.push_back(static_cast<std::uint32_t>(position - previous - 1));
    out.positions.push_back(position);
    out.filler.push_back(false);
    previous = position;
  }
  return out;
}

std::vector<std::int64_t> decode_positions(const std::vector<std::uint32_t>& gaps) {
  std::vector<std::int64_t> out;
  out.reserve(gaps.size());
  std::int64_t position = -1;
  for (const auto gap : gaps) {
    position += static_cast<std::int64_t>(gap) + 1;
    out.push_back(position);
  }
  return out;
}

}  // namespace nnlab::compress
