// Seeds derived from a run's seed, so that each random stream depends only on what it is for
// (an epoch, an image, a restart) and not on what ran before it.
#pragma once

#include <cstdint>

namespace nnlab::core {

// A well-mixed seed for stream (a, b) of `seed`: distinct streams get unrelated seeds.
inline std::uint64_t mix_seed(std::uint64_t seed, std::uint64_t a, std::uint64_t b) {
  std::uint64_t x = seed * 0x9E3779B97F4A7C15ULL + a * 0xBF58476D1CE4E5B9ULL + b;
  x ^= x >> 31;
  x *= 0x94D049BB133111EBULL;
  x ^= x >> 29;
  return x;
}

}  // namespace nnlab::core
