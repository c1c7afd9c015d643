// The form of classical Chinese verse in generated text: lines of 5 or 7 characters, each closed
// by "，" or "。". Text is cut into lines after every "，" or "。" (newlines ignored); a line is
// regular when it holds exactly 5 or 7 tokens before its mark and no other punctuation. A last
// piece without a mark counts as an irregular line when the text ended by itself and is left out
// when the text was cut by the length limit (it was not finished).
#pragma once

#include <cstdint>

#include "nnlab/text/corpus.h"

namespace nnlab::seq2seq {

struct VerseForm {
  std::int64_t lines = 0;
  std::int64_t regular = 0;
  double share() const { return lines > 0 ? static_cast<double>(regular) / lines : 0.0; }
  VerseForm& operator+=(const VerseForm& other) {
    lines += other.lines;
    regular += other.regular;
    return *this;
  }
};

// tokens: one character each (newlines allowed); finished: ended with </s>.
VerseForm verse_form(const Tokens& tokens, bool finished);

}  // namespace nnlab::seq2seq
