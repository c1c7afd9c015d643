// Parallel corpora for sequence-to-sequence models: pronouncing dictionaries (CMUdict's format and
// the tab-separated G2P benchmark split) and generic parallel text. One Entry is one source
// sequence with every target it has (a word's alternative pronunciations, several translations).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace nnlab::seq2seq {

using Tokens = std::vector<std::string>;

struct Entry {
  std::string text;             // the source as written (the word, the sentence)
  Tokens source;                // its tokens (letters, words)
  std::vector<Tokens> targets;  // one or more target token sequences, in file order
  std::int64_t line = 0;        // 1-based line of its first occurrence, for messages
};
using Corpus = std::vector<Entry>;

// How a text field becomes tokens: one token per UTF-8 character (spaces dropped) or per
// whitespace-separated word.
enum class Tokenization { kCharacters, kWords };
Tokens tokenize(const std::string& text, Tokenization mode);

struct DictionaryOptions {
  bool strip_stress = true;  // AH0 -> AH (the benchmark split has no stress markers)
  bool uppercase = true;     // words in upper case, as in the benchmark split
};

// CMUdict format: "WORD  PH ON ES" (one or more spaces or a tab), alternates "WORD(2) ...",
// ";;;" comment lines, any case. Alternates join their word's entry. Throws core::FileError
// ("<path>: line N: ...") for an empty line, a line without phones, an empty file.
Corpus read_cmudict(const std::string& path, const DictionaryOptions& options = {});

// The benchmark's tab-separated files: "WORD<TAB>PH ON ES[<TAB>PH ON ES ...]" (g014b2b.train
// repeats a word on several lines; g014b2b.ref lists every reference on one line). Repeated
// words join one entry. Same errors as read_cmudict.
Corpus read_pronunciation_tsv(const std::string& path, const DictionaryOptions& options = {});

// Either of the two above, chosen by content (a tab on the first data line: TSV).
Corpus read_pronunciations(const std::string& path, const DictionaryOptions& options = {});

// "source<TAB>target" per line; each side tokenized as asked. Same errors.
Corpus read_parallel_tsv(const std::string& path, Tokenization source, Tokenization target);

// Words to pronounce, one per line (blank lines skipped); uppercased when asked.
std::vector<std::string> read_word_list(const std::string& path, bool uppercase = true);

// Splits a corpus by entry (all targets of a word stay on one side): about `fraction` of the
// entries, drawn with `seed`, go to dev. Returns {train, dev}; both keep the original order.
std::pair<Corpus, Corpus> split_dev(const Corpus& corpus, double fraction, std::uint64_t seed);

}  // namespace nnlab::seq2seq
