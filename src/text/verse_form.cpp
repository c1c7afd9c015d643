#include "nnlab/text/verse_form.h"

#include <set>

#include "nnlab/text/text_corpus.h"

namespace nnlab::seq2seq {

namespace {

bool closes_line(const std::string& token) {
  return token == "，" || token == "。";
}

// Punctuation that may not stand inside a regular line.
bool is_punctuation(const std::string& token) {
  static const std::set<std::string> marks = {"，", "。", "、", "；", "：", "？", "！", "“",
                                              "”",  "‘",  "’",  "《", "》", "（", "）", ",",
                                              ".",  ";",  ":",  "?",  "!",  "·",  "—"};
  return marks.count(token) > 0;
}

}  // namespace

VerseForm verse_form(const Tokens& tokens, bool finished) {
  VerseForm form;
  std::int64_t characters = 0;
  bool clean = true;
  bool open = false;
  for (const auto& token : tokens) {
    if (token == kNewline) continue;
    if (closes_line(token)) {
      ++form.lines;
      if (clean && (characters == 5 || characters == 7)) ++form.regular;
      characters = 0;
      clean = true;
      open = false;
      continue;
    }
    open = true;
    if (is_punctuation(token)) clean = false;
    ++characters;
  }
  if (open && finished) ++form.lines;
  return form;
}

}  // namespace nnlab::seq2seq
