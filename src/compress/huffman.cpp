#include "nnlab/compress/huffman.h"

#include <algorithm>
#include <cstring>
#include <functional>
#include <queue>
#include <stdexcept>
#include <string>
#include <utility>

namespace nnlab::compress {

namespace {

// Depth of every leaf of a Huffman tree over the used symbols (a symbol alone: depth 1).
std::vector<int> tree_depths(const std::vector<std::uint64_t>& weights) {
  const std::size_t n = weights.size();
  if (n == 1) return {1};
  // Nodes 0..n-1 are leaves; internal nodes follow. Ties broken by node index: deterministic.
  std::vector<std::size_t> parent(2 * n - 1, 0);
  using Item = std::pair<std::uint64_t, std::size_t>;
  std::priority_queue<Item, std::vector<Item>, std::greater<Item>> queue;
  for (std::size_t i = 0; i < n; ++i) queue.emplace(weights[i], i);
  std::size_t next = n;
  while (queue.size() > 1) {
    const auto a = queue.top();
    queue.pop();
    const auto b = queue.top();
    queue.pop();
    parent[a.second] = parent[b.second] = next;
    queue.emplace(a.first + b.first, next++);
  }
  // Depths from the root (the last node) down: a parent always has a larger index.
  std::vector<int> depth(2 * n - 1, 0);
  for (std::size_t i = 2 * n - 1; i-- > 0;) {
    if (i != 2 * n - 2) depth[i] = depth[parent[i]] + 1;
  }
  depth.resize(n);
  return depth;
}

// Shortens codes above max_length, then lengthens the cheapest codes until the Kraft sum fits,
// then shortens codes again where room is left.
void limit_lengths(std::vector<int>& lengths, const std::vector<std::uint64_t>& weights,
                   int max_length) {
  const std::uint64_t capacity = std::uint64_t{1} << max_length;
  auto kraft = [&] {
    std::uint64_t sum = 0;
    for (const int l : lengths) sum += std::uint64_t{1} << (max_length - l);
    return sum;
  };
  for (auto& l : lengths) l = std::min(l, max_length);
  std::vector<std::size_t> order(lengths.size());
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
  // Rarest first: lengthening them costs the fewest bits.
  std::stable_sort(order.begin(), order.end(),
                   [&](std::size_t a, std::size_t b) { return weights[a] < weights[b]; });
  std::uint64_t sum = kraft();
  while (sum > capacity) {
    // Lengthen the longest code that can still grow (the smallest step down in the Kraft
    // sum), the rarest symbol among equals.
    std::size_t best = order.size();
    for (const auto i : order) {
      if (lengths[i] < max_length && (best == order.size() || lengths[i] > lengths[best])) best = i;
    }
    if (best == order.size()) throw std::invalid_argument("Huffman: alphabet too large");
    sum -= std::uint64_t{1} << (max_length - lengths[best] - 1);
    ++lengths[best];
  }
  // Give room back to the most frequent symbols.
  for (auto it = order.rbegin(); it != order.rend(); ++it) {
    auto& l = lengths[*it];
    while (l > 1 && sum + (std::uint64_t{1} << (max_length - l)) <= capacity) {
      sum += std::uint64_t{1} << (max_length - l);
      --l;
    }
  }
}

std::vector<std::uint32_t> first_codes(const std::vector<std::uint8_t>& lengths,
                                       std::vector<std::uint32_t>& length_count) {
  length_count.assign(kMaxHuffmanLength + 1, 0);
  for (const auto l : lengths) {
    if (l > kMaxHuffmanLength) {
      throw std::invalid_argument("Huffman: code length " + std::to_string(l) + " above " +
                                  std::to_string(kMaxHuffmanLength));
    }
    if (l > 0) ++length_count[l];
  }
  std::uint64_t kraft = 0;
  for (int l = 1; l <= kMaxHuffmanLength; ++l) {
    kraft += static_cast<std::uint64_t>(length_count[l]) << (kMaxHuffmanLength - l);
  }
  if (kraft > (std::uint64_t{1} << kMaxHuffmanLength)) {
    throw std::invalid_argument("Huffman: code lengths over-subscribe the code space");
  }
  std::vector<std::uint32_t> next(kMaxHuffmanLength + 2, 0);
  std::uint32_t code = 0;
  for (int l = 1; l <= kMaxHuffmanLength; ++l) {
    code = (code + length_count[l - 1]) << 1;
    next[l] = code;
  }
  return next;
}

}  // namespace

std::vector<std::uint8_t> huffman_code_lengths(const std::vector<std::uint64_t>& counts,
                                               int max_length) {
  if (max_length < 1 || max_length > kMaxHuffmanLength) {
    throw std::invalid_argument("Huffman: max_length must be in 1.." +
                                std::to_string(kMaxHuffmanLength));
  }
  std::vector<std::size_t> used;
  std::vector<std::uint64_t> weights;
  for (std::size_t s = 0; s < counts.size(); ++s) {
    if (counts[s] > 0) {
      used.push_back(s);
      weights.push_back(counts[s]);
    }
  }
  std::vector<std::uint8_t> lengths(counts.size(), 0);
  if (used.empty()) return lengths;
  if (used.size() > (std::size_t{1} << max_length)) {
    throw std::invalid_argument("Huffman: " + std::to_string(used.size()) +
                                " symbols do not fit in codes of " + std::to_string(max_length) +
                                " bits");
  }
  auto depths = tree_depths(weights);
  if (*std::max_element(depths.begin(), depths.end()) > max_length) {
    limit_lengths(depths, weights, max_length);
  }
  for (std::size_t i = 0; i < used.size(); ++i) {
    lengths[used[i]] = static_cast<std::uint8_t>(depths[i]);
  }
  return lengths;
}

std::vector<std::uint32_t> canonical_codes(const std::vector<std::uint8_t>& lengths) {
  std::vector<std::uint32_t> length_count;
  auto next = first_codes(lengths, length_count);
  std::vector<std::uint32_t> codes(lengths.size(), 0);
  for (std::size_t s = 0; s < lengths.size(); ++s) {
    if (lengths[s] > 0) codes[s] = next[lengths[s]]++;
  }
  return codes;
}

HuffmanStream huffman_encode(const std::vector<std::uint32_t>& symbols, std::uint32_t alphabet,
                             int max_length) {
  std::vector<std::uint64_t> counts(alphabet, 0);
  for (const auto s : symbols) {
    if (s >= alphabet) {
      throw std::invalid_argument("Huffman: symbol " + std::to_string(s) +
                                  " outside the alphabet of " + std::to_string(alphabet));
    }
    ++counts[s];
  }
  HuffmanStream out;
  out.lengths = huffman_code_lengths(counts, max_length);
  out.count = symbols.size();
  const auto codes = canonical_codes(out.lengths);
  std::uint64_t bits = 0;
  for (std::uint32_t s = 0; s < alphabet; ++s) bits += counts[s] * out.lengths[s];
  out.bit_count = bits;
  out.bytes.assign(static_cast<std::size_t>((bits + 7) / 8), 0);
  std::uint64_t buffer = 0;  // pending bits, most significant first
  int pending = 0;
  std::size_t pos = 0;
  for (const auto s : symbols) {
    buffer = (buffer << out.lengths[s]) | codes[s];
    pending += out.lengths[s];
    while (pending >= 8) {
      pending -= 8;
      out.bytes[pos++] = static_cast<std::uint8_t>(buffer >> pending);
    }
  }
  if (pending > 0) out.bytes[pos] = static_cast<std::uint8_t>(buffer << (8 - pending));
  return out;
}

std::vector<std::uint32_t> huffman_decode(const std::vector<std::uint8_t>& lengths,
                                          const std::uint8_t* data, std::size_t size,
                                          std::uint64_t count) {
  std::vector<std::uint32_t> codes;
  try {
    codes = canonical_codes(lengths);
  } catch (const std::invalid_argument& e) {
    throw std::runtime_error(e.what());
  }
  std::vector<std::uint32_t> out;
  if (count == 0) return out;
  if (lengths.size() > (std::size_t{1} << 24))
    throw std::runtime_error("Huffman: alphabet too large");
  int width = 0;  // table index width: the longest code
  for (const auto l : lengths) width = std::max<int>(width, l);
  if (width == 0) throw std::runtime_error("Huffman: symbols to decode but no code");
  if (count > static_cast<std::uint64_t>(size) * 8) {
    throw std::runtime_error("Huffman: " + std::to_string(count) + " symbols cannot fit in " +
                             std::to_string(size) + " bytes");
  }
  // Entry: symbol << 8 | length; length 0 marks bit patterns that are no code.
  std::vector<std::uint32_t> table(std::size_t{1} << width, 0);
  for (std::uint32_t s = 0; s < lengths.size(); ++s) {
    const int l = lengths[s];
    if (l == 0) continue;
    const std::uint32_t first = codes[s] << (width - l);
    const std::uint32_t span = std::uint32_t{1} << (width - l);
    for (std::uint32_t i = 0; i < span; ++i)
      table[first + i] = (s << 8) | static_cast<std::uint32_t>(l);
  }
  out.resize(static_cast<std::size_t>(count));
  const std::uint64_t total_bits = static_cast<std::uint64_t>(size) * 8;
  // The next bits sit at the top of `buffer`, `available` of them valid. A refill ORs in the
  // next 8 bytes at once and counts the whole bytes that fit (bits below them are the same
  // data, ORed again by the next refill); near the end, a byte at a time, zeros past it.
  std::uint64_t buffer = 0;
  int available = 0;
  std::size_t pos = 0;
  std::uint64_t consumed = 0;
  const int shift = 64 - width;
  for (std::uint64_t i = 0; i < count; ++i) {
    if (available < width) {
      if (pos + 8 <= size) {
        std::uint64_t next;
        std::memcpy(&next, data + pos, 8);
        buffer |= __builtin_bswap64(next) >> available;
        const int bytes = (63 - available) >> 3;
        pos += static_cast<std::size_t>(bytes);
        available += 8 * bytes;
      } else {
        while (available <= 56) {
          buffer |= static_cast<std::uint64_t>(pos < size ? data[pos] : 0u) << (56 - available);
          ++pos;
          available += 8;
        }
      }
    }
    const auto entry = table[static_cast<std::size_t>(buffer >> shift)];
    const int l = static_cast<int>(entry & 0xff);
    if (l == 0) throw std::runtime_error("Huffman: a bit pattern that is no code");
    consumed += static_cast<std::uint64_t>(l);
    buffer <<= l;
    available -= l;
    out[static_cast<std::size_t>(i)] = entry >> 8;
  }
  if (consumed > total_bits) throw std::runtime_error("Huffman: the data ends too early");
  return out;
}

}  // namespace nnlab::compress
