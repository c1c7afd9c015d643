// Line-oriented readers for pronouncing dictionaries and parallel text. Every reader takes the
// whole file, splits it into lines (LF or CRLF; the newline that ends the last line is not an
// empty line; a UTF-8 byte order mark is skipped) and names the 1-based line in its errors.
//
// Normalization shared by the dictionary readers: a word's "(N)" suffix (CMUdict's alternates,
// "READ(2)") is dropped so that alternates join their word; ASCII letters are upper-cased when
// asked (other bytes are kept); trailing stress digits are removed from phones when asked
// (AH0 -> AH). A target that repeats one already listed for its entry (CMUdict's "AH0" and "AH1"
// alternates once stress is stripped) is kept once.
#include "nnlab/text/corpus.h"

#include <algorithm>
#include <cmath>
#include <random>
#include <stdexcept>
#include <string_view>
#include <unordered_map>
#include <utility>

#include "nnlab/core/atomic_file.h"
#include "nnlab/core/error.h"
#include "nnlab/core/utf8.h"

namespace nnlab::seq2seq {

namespace {

bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

std::string_view trim(std::string_view text) {
  size_t begin = 0;
  size_t end = text.size();
  while (begin < end && is_space(text[begin])) ++begin;
  while (end > begin && is_space(text[end - 1])) --end;
  return text.substr(begin, end - begin);
}

// Calls f(line_number, line) for each line of text, without its LF or CRLF.
template <typename F>
void for_each_line(const std::string& text, F&& f) {
  size_t begin = text.compare(0, 3, "\xEF\xBB\xBF") == 0 ? 3 : 0;
  std::int64_t number = 1;
  while (begin < text.size()) {
    size_t end = text.find('\n', begin);
    const size_t next = end == std::string::npos ? text.size() : end + 1;
    if (end == std::string::npos) end = text.size();
    std::string_view line(text.data() + begin, end - begin);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    f(number, line);
    begin = next;
    ++number;
  }
}

core::FileError line_error(const std::string& path, std::int64_t line, const std::string& problem) {
  return core::FileError(path, "line " + std::to_string(line) + ": " + problem);
}

bool is_comment(std::string_view line) {
  return line.compare(0, 3, ";;;") == 0;
}

std::string uppercase_ascii(std::string_view text) {
  std::string out(text);
  for (char& c : out) {
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  }
  return out;
}

std::string normalize_word(std::string_view word, const DictionaryOptions& options) {
  // "WORD(2)": drop the alternate's number when something precedes it.
  if (word.size() >= 4 && word.back() == ')') {
    const size_t open = word.rfind('(');
    if (open != std::string_view::npos && open > 0 && open + 2 < word.size() &&
        std::all_of(word.begin() + static_cast<std::ptrdiff_t>(open) + 1, word.end() - 1,
                    [](char c) { return c >= '0' && c <= '9'; })) {
      word = word.substr(0, open);
    }
  }
  return options.uppercase ? uppercase_ascii(word) : std::string(word);
}

std::string normalize_phone(std::string_view phone, const DictionaryOptions& options) {
  if (options.strip_stress) {
    size_t end = phone.size();
    while (end > 1 && phone[end - 1] >= '0' && phone[end - 1] <= '9') --end;
    phone = phone.substr(0, end);
  }
  return std::string(phone);
}

// Splits on runs of ASCII whitespace.
std::vector<std::string_view> split_words(std::string_view text) {
  std::vector<std::string_view> words;
  size_t i = 0;
  while (i < text.size()) {
    while (i < text.size() && is_space(text[i])) ++i;
    const size_t begin = i;
    while (i < text.size() && !is_space(text[i])) ++i;
    if (i > begin) words.push_back(text.substr(begin, i - begin));
  }
  return words;
}

std::vector<std::string_view> split_tabs(std::string_view line) {
  std::vector<std::string_view> fields;
  size_t begin = 0;
  while (true) {
    const size_t tab = line.find('\t', begin);
    if (tab == std::string_view::npos) {
      fields.push_back(line.substr(begin));
      return fields;
    }
    fields.push_back(line.substr(begin, tab - begin));
    begin = tab + 1;
  }
}

// Collects entries by their text, in order of first occurrence.
class CorpusBuilder {
 public:
  // At most one entry per line: reserving that much spares the rehashes and moves.
  explicit CorpusBuilder(const std::string& text) {
    const auto lines = static_cast<size_t>(std::count(text.begin(), text.end(), '\n')) + 1;
    corpus_.reserve(lines);
    index_.reserve(lines);
  }

  void add(std::string text, Tokens source, Tokens target, std::int64_t line) {
    auto [it, inserted] = index_.try_emplace(text, corpus_.size());
    if (inserted) {
      Entry entry;
      entry.text = std::move(text);
      entry.source = std::move(source);
      entry.line = line;
      corpus_.push_back(std::move(entry));
    }
    auto& targets = corpus_[it->second].targets;
    if (std::find(targets.begin(), targets.end(), target) == targets.end()) {
      targets.push_back(std::move(target));
    }
  }

  Corpus finish(const std::string& path) {
    if (corpus_.empty()) throw core::FileError(path, "no entries");
    return std::move(corpus_);
  }

 private:
  Corpus corpus_;
  std::unordered_map<std::string, size_t> index_;
};

Tokens phones_of(const std::vector<std::string_view>& words, size_t first,
                 const DictionaryOptions& options) {
  Tokens phones;
  phones.reserve(words.size() - first);
  for (size_t i = first; i < words.size(); ++i) {
    phones.push_back(normalize_phone(words[i], options));
  }
  return phones;
}

Corpus parse_cmudict(const std::string& text, const std::string& path,
                     const DictionaryOptions& options) {
  CorpusBuilder builder(text);
  for_each_line(text, [&](std::int64_t number, std::string_view line) {
    if (is_comment(line)) return;
    if (trim(line).empty()) throw line_error(path, number, "empty line");
    auto words = split_words(line);
    // CMU's newer releases end some lines with "# comment"; a phone never starts with '#'.
    const auto hash = std::find_if(words.begin() + 1, words.end(),
                                   [](std::string_view w) { return w.front() == '#'; });
    words.erase(hash, words.end());
    if (words.size() < 2) {
      throw line_error(path, number,
                       "expected WORD followed by phones, got '" + std::string(trim(line)) + "'");
    }
    std::string word = normalize_word(words[0], options);
    Tokens source = tokenize(word, Tokenization::kCharacters);
    builder.add(std::move(word), std::move(source), phones_of(words, 1, options), number);
  });
  return builder.finish(path);
}

Corpus parse_pronunciation_tsv(const std::string& text, const std::string& path,
                               const DictionaryOptions& options) {
  CorpusBuilder builder(text);
  for_each_line(text, [&](std::int64_t number, std::string_view line) {
    if (is_comment(line)) return;
    if (trim(line).empty()) throw line_error(path, number, "empty line");
    const auto fields = split_tabs(line);
    const std::string_view raw_word = trim(fields[0]);
    bool ok = fields.size() >= 2 && !raw_word.empty() &&
              raw_word.find_first_of(" \t") == std::string_view::npos;
    for (size_t f = 1; ok && f < fields.size(); ++f) ok = !trim(fields[f]).empty();
    if (!ok) {
      throw line_error(
          path, number,
          "expected WORD<TAB>PHONES[<TAB>PHONES ...], got '" + std::string(line) + "'");
    }
    const std::string word = normalize_word(raw_word, options);
    const Tokens source = tokenize(word, Tokenization::kCharacters);
    for (size_t f = 1; f < fields.size(); ++f) {
      builder.add(word, source, phones_of(split_words(fields[f]), 0, options), number);
    }
  });
  return builder.finish(path);
}

}  // namespace

Tokens tokenize(const std::string& text, Tokenization mode) {
  Tokens tokens;
  if (mode == Tokenization::kWords) {
    for (const auto word : split_words(text)) tokens.emplace_back(word);
    return tokens;
  }
  size_t i = 0;
  while (i < text.size()) {
    // A malformed sequence (Latin-1 text, say) becomes one token per byte.
    const size_t length = std::max<size_t>(1, core::utf8_sequence_length(text, i));
    if (!(length == 1 && is_space(text[i]))) tokens.push_back(text.substr(i, length));
    i += length;
  }
  return tokens;
}

Corpus read_cmudict(const std::string& path, const DictionaryOptions& options) {
  return parse_cmudict(core::read_file(path), path, options);
}

Corpus read_pronunciation_tsv(const std::string& path, const DictionaryOptions& options) {
  return parse_pronunciation_tsv(core::read_file(path), path, options);
}

Corpus read_pronunciations(const std::string& path, const DictionaryOptions& options) {
  const std::string text = core::read_file(path);
  bool tsv = false;
  bool decided = false;
  for_each_line(text, [&](std::int64_t, std::string_view line) {
    if (decided || is_comment(line) || trim(line).empty()) return;
    tsv = line.find('\t') != std::string_view::npos;
    decided = true;
  });
  return tsv ? parse_pronunciation_tsv(text, path, options) : parse_cmudict(text, path, options);
}

Corpus read_parallel_tsv(const std::string& path, Tokenization source, Tokenization target) {
  const std::string text = core::read_file(path);
  CorpusBuilder builder(text);
  for_each_line(text, [&](std::int64_t number, std::string_view line) {
    if (trim(line).empty()) throw line_error(path, number, "empty line");
    // Columns after the second are ignored: Tatoeba/Anki exports add an attribution there.
    const auto fields = split_tabs(line);
    if (fields.size() < 2) {
      throw line_error(path, number, "expected SOURCE<TAB>TARGET, got '" + std::string(line) + "'");
    }
    const std::string source_text(trim(fields[0]));
    Tokens source_tokens = tokenize(source_text, source);
    Tokens target_tokens = tokenize(std::string(fields[1]), target);
    if (source_tokens.empty()) throw line_error(path, number, "empty source");
    if (target_tokens.empty()) throw line_error(path, number, "empty target");
    builder.add(source_text, std::move(source_tokens), std::move(target_tokens), number);
  });
  return builder.finish(path);
}

std::vector<std::string> read_word_list(const std::string& path, bool uppercase) {
  const std::string text = core::read_file(path);
  std::vector<std::string> words;
  for_each_line(text, [&](std::int64_t number, std::string_view line) {
    const std::string_view word = trim(line);
    if (word.empty()) return;
    if (word.find_first_of(" \t") != std::string_view::npos) {
      throw line_error(path, number, "expected one word per line, got '" + std::string(line) + "'");
    }
    words.push_back(uppercase ? uppercase_ascii(word) : std::string(word));
  });
  if (words.empty()) throw core::FileError(path, "no words");
  return words;
}

// A Fisher-Yates shuffle driven by the raw output of mt19937_64 (whose sequence the standard
// fixes), not std::shuffle or a std:: distribution (whose algorithms differ between standard
// libraries), so a seed gives the same split everywhere. The first round(fraction * size)
// shuffled entries go to dev. The modulo's bias is below 2^-40 for any realistic corpus.
std::pair<Corpus, Corpus> split_dev(const Corpus& corpus, double fraction, std::uint64_t seed) {
  if (!(fraction >= 0 && fraction <= 1)) {
    throw std::invalid_argument("split_dev: fraction " + std::to_string(fraction) +
                                " is not in [0, 1]");
  }
  std::vector<size_t> order(corpus.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::mt19937_64 rng(seed);
  for (size_t i = order.size(); i > 1; --i) {
    std::swap(order[i - 1], order[rng() % i]);
  }
  const auto dev_size = static_cast<size_t>(std::llround(fraction * double(corpus.size())));
  std::vector<bool> in_dev(corpus.size(), false);
  for (size_t k = 0; k < dev_size; ++k) in_dev[order[k]] = true;

  std::pair<Corpus, Corpus> split;
  split.first.reserve(corpus.size() - dev_size);
  split.second.reserve(dev_size);
  for (size_t i = 0; i < corpus.size(); ++i) {
    (in_dev[i] ? split.second : split.first).push_back(corpus[i]);
  }
  return split;
}

}  // namespace nnlab::seq2seq
