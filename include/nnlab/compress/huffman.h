// Canonical Huffman coding of symbol streams, the last stage of Deep Compression (Han, Mao &
// Dally 2016): cluster indices and the gaps between kept weights are coded with fewer bits for
// the frequent values.
//
//   lengths   huffman_code_lengths: optimal code lengths from the symbol counts (a Huffman tree),
//             limited to max_length bits (longest codes shortened, the Kraft sum repaired by
//             lengthening the cheapest codes);
//   codes     canonical_codes: the canonical assignment (DEFLATE, RFC 1951 section 3.2.2): codes
//             of one length are consecutive in symbol order, shorter codes first, so the lengths
//             alone describe the code;
//   stream    bits packed most significant first; the decoder looks up max_length bits at a time
//             in one table of 2^max_length entries (symbol and length).
// A stream of one distinct symbol gets a 1-bit code; an empty stream, no bits at all.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace nnlab::compress {

inline constexpr int kMaxHuffmanLength = 15;

// counts[s]: occurrences of symbol s. Returns lengths[s] in 0..max_length (0: absent).
// Throws std::invalid_argument for max_length outside 1..kMaxHuffmanLength or an alphabet too
// large for it (more used symbols than 2^max_length).
std::vector<std::uint8_t> huffman_code_lengths(const std::vector<std::uint64_t>& counts,
                                               int max_length = kMaxHuffmanLength);

// The canonical code of each symbol (its low `length` bits), 0 for absent symbols. Throws
// std::invalid_argument when the lengths over-subscribe the code space (Kraft sum above 1) or
// exceed kMaxHuffmanLength.
std::vector<std::uint32_t> canonical_codes(const std::vector<std::uint8_t>& lengths);

struct HuffmanStream {
  std::vector<std::uint8_t> lengths;  // per symbol of the alphabet
  std::vector<std::uint8_t> bytes;    // the packed codes, the last byte padded with zeros
  std::uint64_t count = 0;            // symbols coded
  std::uint64_t bit_count = 0;        // bits used in `bytes`
};

// Codes symbols from 0..alphabet-1. Throws std::invalid_argument for a symbol outside it.
HuffmanStream huffman_encode(const std::vector<std::uint32_t>& symbols, std::uint32_t alphabet,
                             int max_length = kMaxHuffmanLength);

// Decodes `count` symbols. Throws std::runtime_error on a malformed stream: invalid lengths, a
// bit pattern that is no code (an incomplete code), or data that ends before `count` symbols.
std::vector<std::uint32_t> huffman_decode(const std::vector<std::uint8_t>& lengths,
                                          const std::uint8_t* data, std::size_t size,
                                          std::uint64_t count);

}  // namespace nnlab::compress
