// UTF-8 sequences, by the lead-byte rules both the text readers use: 1 byte below 0x80, 2 bytes
// from 0xC2 to 0xDF, 3 from 0xE0 to 0xEF, 4 from 0xF0 to 0xF4, each further byte 10xxxxxx.
#pragma once

#include <cstddef>
#include <string_view>

namespace nnlab::core {

// The length of the well-formed sequence that starts at text[i] (1-4), or 0 when the bytes there
// do not form one (a stray continuation byte, a bad lead byte, a sequence cut short).
std::size_t utf8_sequence_length(std::string_view text, std::size_t i);

// True when the whole text is a series of well-formed sequences.
bool valid_utf8(std::string_view text);

}  // namespace nnlab::core
