#include "cli/toy_language.h"

#include <fstream>
#include <random>

namespace nnlab::testing {

namespace {

const char* const kPhones[] = {"AA", "B", "K", "D", "IY", "F"};  // for the letters A..F

}  // namespace

std::string pronounce(const std::string& word) {
  std::string out;
  for (const char c : word) {
    if (!out.empty()) out += ' ';
    out += kPhones[c - 'A'];
  }
  return out;
}

std::vector<std::string> words(int n, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<std::string> out;
  for (int i = 0; i < n; ++i) {
    std::string w;
    const int length = 2 + static_cast<int>(rng() % 5);
    for (int j = 0; j < length; ++j) w += static_cast<char>('A' + rng() % 6);
    out.push_back(w);
  }
  return out;
}

void write(const std::string& path, const std::string& text) {
  std::ofstream(path, std::ios::binary) << text;
}

}  // namespace nnlab::testing
