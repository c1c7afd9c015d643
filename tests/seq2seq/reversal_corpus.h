// Test helper: words over five letters whose "pronunciation" spells them backwards in lower case,
// so every output token depends on a different input position -- attention must learn to look
// back. Drawn from `seed`, 2 to 5 letters each.
#pragma once

#include <cctype>
#include <cstdint>
#include <random>
#include <string>

#include "nnlab/text/corpus.h"

namespace nnlab::seq2seq::test_util {

inline Corpus reversal_corpus(int n, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  Corpus corpus;
  for (int i = 0; i < n; ++i) {
    Entry e;
    const int length = 2 + static_cast<int>(rng() % 4);
    Tokens target;
    for (int j = 0; j < length; ++j) {
      const char c = static_cast<char>('A' + rng() % 5);
      e.source.push_back(std::string(1, c));
      e.text += c;
    }
    for (auto it = e.source.rbegin(); it != e.source.rend(); ++it)
      target.push_back(std::string(1, static_cast<char>(std::tolower((*it)[0]))));
    e.targets.push_back(target);
    e.line = i + 1;
    corpus.push_back(e);
  }
  return corpus;
}

}  // namespace nnlab::seq2seq::test_util
