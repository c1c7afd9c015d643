// A made-up language whose spelling maps letter by letter to phones (A..F), so that a few seconds
// of training learn it: the data of the g2p and seq2seq command tests.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace nnlab::testing {

// The phones of an upper-case word of the letters A..F ("ABBA" -> "AA B B AA").
std::string pronounce(const std::string& word);

// n words of 2 to 6 letters A..F drawn with the seed.
std::vector<std::string> words(int n, std::uint64_t seed);

// Writes text to a file as it is.
void write(const std::string& path, const std::string& text);

// Training flags of a model small enough to learn the language in seconds.
constexpr const char* kSmallModel =
    " --embedding 16 --hidden 32 --encoder-layers 1 --decoder-hidden 32 --dropout 0 --lr 5e-3"
    " --batch-size 16 --average-last 1 --patience 0 --lr-patience 100";

}  // namespace nnlab::testing
