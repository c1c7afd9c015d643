#include "nnlab/text/corpus.h"

#include <gtest/gtest.h>

#include <set>

#include "data/data_test_util.h"
#include "nnlab/core/error.h"

namespace nnlab::seq2seq {
namespace {

using data::testing_util::contains;
using data::testing_util::error_of;
using data::testing_util::TempDir;
using data::testing_util::write_bytes;

std::string written(const TempDir& dir, const std::string& name, const std::string& text) {
  const std::string path = dir / name;
  write_bytes(path, text);
  return path;
}

TEST(Corpus, TokenizeCharactersKeepsUtf8AndDropsSpaces) {
  EXPECT_EQ(tokenize("AB C", Tokenization::kCharacters), (Tokens{"A", "B", "C"}));
  EXPECT_EQ(tokenize("床前 明月光", Tokenization::kCharacters),
            (Tokens{"床", "前", "明", "月", "光"}));
  // Two-byte (é), three-byte (€) and four-byte (😀) sequences stay whole.
  EXPECT_EQ(tokenize("é€😀", Tokenization::kCharacters), (Tokens{"é", "€", "😀"}));
  // A byte that starts no valid sequence (Latin-1 é) is a token of its own.
  EXPECT_EQ(tokenize("a\xE9z", Tokenization::kCharacters), (Tokens{"a", "\xE9", "z"}));
  EXPECT_EQ(tokenize("  the  cat\tsat \n", Tokenization::kWords), (Tokens{"the", "cat", "sat"}));
  EXPECT_TRUE(tokenize(" \t ", Tokenization::kWords).empty());
}

TEST(Corpus, CmudictAlternatesCommentsStressAndCase) {
  TempDir dir;
  const auto path = written(dir, "dict",
                            ";;; a comment line\n"
                            "read  R IY1 D\n"
                            "A AH0\n"
                            "Read(2)  R EH1 D\n"
                            ";;; another\r\n"
                            "a(2) EY1\r\n"
                            "it's\tIH1 T S\n"
                            "a(3)  AH1\n");
  const Corpus corpus = read_cmudict(path);
  ASSERT_EQ(corpus.size(), 3u);
  EXPECT_EQ(corpus[0].text, "READ");
  EXPECT_EQ(corpus[0].source, (Tokens{"R", "E", "A", "D"}));
  EXPECT_EQ(corpus[0].targets, (std::vector<Tokens>{{"R", "IY", "D"}, {"R", "EH", "D"}}));
  EXPECT_EQ(corpus[0].line, 2);
  EXPECT_EQ(corpus[1].text, "A");
  // "AH0" and "AH1" are one pronunciation once the stress is gone.
  EXPECT_EQ(corpus[1].targets, (std::vector<Tokens>{{"AH"}, {"EY"}}));
  EXPECT_EQ(corpus[1].line, 3);
  EXPECT_EQ(corpus[2].text, "IT'S");
  EXPECT_EQ(corpus[2].targets, (std::vector<Tokens>{{"IH", "T", "S"}}));

  DictionaryOptions keep;
  keep.strip_stress = false;
  keep.uppercase = false;
  const Corpus raw = read_cmudict(path, keep);
  ASSERT_EQ(raw.size(), 5u);  // "read" and "Read" differ when the case is kept
  EXPECT_EQ(raw[0].text, "read");
  EXPECT_EQ(raw[0].targets, (std::vector<Tokens>{{"R", "IY1", "D"}}));
  EXPECT_EQ(raw[1].text, "A");
  EXPECT_EQ(raw[2].text, "Read");
  EXPECT_EQ(raw[3].text, "a");
  EXPECT_EQ(raw[3].targets, (std::vector<Tokens>{{"EY1"}, {"AH1"}}));
  EXPECT_EQ(raw[4].text, "it's");
}

TEST(Corpus, CmudictIgnoresTrailingHashComments) {
  TempDir dir;
  const auto path = written(dir, "dict", "d'artagnan D AH0 R T AE1 NG Y AH0 N # foreign french\n");
  const Corpus corpus = read_cmudict(path);
  ASSERT_EQ(corpus.size(), 1u);
  EXPECT_EQ(corpus[0].targets[0], (Tokens{"D", "AH", "R", "T", "AE", "NG", "Y", "AH", "N"}));
}

TEST(Corpus, TsvTrainRepeatsAndRefListsEveryReference) {
  TempDir dir;
  const auto train = written(dir, "train",
                             "AARON\tEH R AH N\n"
                             "AARONSON\tAA R AH N S AH N\n"
                             "AARONSON\tEH R AH N S AH N\n");
  const Corpus t = read_pronunciation_tsv(train);
  ASSERT_EQ(t.size(), 2u);
  EXPECT_EQ(t[1].text, "AARONSON");
  EXPECT_EQ(t[1].source.size(), 8u);
  EXPECT_EQ(t[1].targets, (std::vector<Tokens>{{"AA", "R", "AH", "N", "S", "AH", "N"},
                                               {"EH", "R", "AH", "N", "S", "AH", "N"}}));
  EXPECT_EQ(t[1].line, 2);

  const auto ref = written(dir, "ref", "ABBY\tAE B IY\r\nABS\tAE B Z\tEY B IY EH S\r\n");
  const Corpus r = read_pronunciation_tsv(ref);
  ASSERT_EQ(r.size(), 2u);
  EXPECT_EQ(r[1].text, "ABS");
  EXPECT_EQ(r[1].source, (Tokens{"A", "B", "S"}));
  EXPECT_EQ(r[1].targets, (std::vector<Tokens>{{"AE", "B", "Z"}, {"EY", "B", "IY", "EH", "S"}}));

  // Lower-case words with stress markers are normalized as in CMUdict's format.
  const auto lower = written(dir, "lower", "abby\tAE1 B IY0\n");
  EXPECT_EQ(read_pronunciation_tsv(lower)[0].text, "ABBY");
  EXPECT_EQ(read_pronunciation_tsv(lower)[0].targets[0], (Tokens{"AE", "B", "IY"}));
}

TEST(Corpus, ReadPronunciationsChoosesTheFormatByContent) {
  TempDir dir;
  // A comment line first; the first data line has a tab: TSV, so "AE B Z" is one reference.
  const auto tsv = written(dir, "a.tsv", ";;; header\nABS\tAE B Z\tEY B IY EH S\n");
  const Corpus t = read_pronunciations(tsv);
  ASSERT_EQ(t.size(), 1u);
  EXPECT_EQ(t[0].targets.size(), 2u);
  // No tab: CMUdict, where "abs(2)" joins "abs".
  const auto dict = written(dir, "a.dict", ";;; header\nabs AE1 B Z\nabs(2) EY1 B IY1 EH1 S\n");
  const Corpus d = read_pronunciations(dict);
  ASSERT_EQ(d.size(), 1u);
  EXPECT_EQ(d[0].text, "ABS");
  EXPECT_EQ(d[0].targets, t[0].targets);
}

TEST(Corpus, ParallelTsvCharactersAndWords) {
  TempDir dir;
  const auto path = written(dir, "poem.tsv",
                            "床前明月光\tBefore my bed, the bright moonlight\n"
                            "疑是地上霜\tI take it for frost on the ground\n"
                            "床前明月光\tMoonlight before my bed\n");
  const Corpus chars = read_parallel_tsv(path, Tokenization::kCharacters, Tokenization::kWords);
  ASSERT_EQ(chars.size(), 2u);
  EXPECT_EQ(chars[0].text, "床前明月光");
  EXPECT_EQ(chars[0].source, (Tokens{"床", "前", "明", "月", "光"}));
  // A repeated source is one entry with both translations.
  ASSERT_EQ(chars[0].targets.size(), 2u);
  EXPECT_EQ(chars[0].targets[0], (Tokens{"Before", "my", "bed,", "the", "bright", "moonlight"}));
  EXPECT_EQ(chars[0].targets[1], (Tokens{"Moonlight", "before", "my", "bed"}));
  EXPECT_EQ(chars[1].line, 2);

  const Corpus words = read_parallel_tsv(path, Tokenization::kWords, Tokenization::kCharacters);
  EXPECT_EQ(words[1].source, (Tokens{"疑是地上霜"}));
  EXPECT_EQ(words[1].targets[0].front(), "I");
  EXPECT_EQ(words[1].targets[0].size(), 26u);  // the letters, spaces dropped

  // Columns after the target (an Anki export's attribution) are ignored.
  const auto anki = written(dir, "anki.tsv", "Hi.\t嗨。\tCC-BY 2.0 (France) Attribution\n");
  const Corpus a = read_parallel_tsv(anki, Tokenization::kWords, Tokenization::kCharacters);
  EXPECT_EQ(a[0].targets, (std::vector<Tokens>{{"嗨", "。"}}));
}

TEST(Corpus, WordList) {
  TempDir dir;
  const auto path = written(dir, "words", "abadi\n\nAbating\r\n  ABBY  \n");
  EXPECT_EQ(read_word_list(path), (std::vector<std::string>{"ABADI", "ABATING", "ABBY"}));
  EXPECT_EQ(read_word_list(path, /*uppercase=*/false),
            (std::vector<std::string>{"abadi", "Abating", "ABBY"}));
  const auto two = written(dir, "two", "ABBY\tAE B IY\n");
  EXPECT_TRUE(contains(error_of<core::FileError>([&] { read_word_list(two); }), two + ": line 1"));
  const auto empty = written(dir, "empty", "\n\n");
  EXPECT_EQ(error_of<core::FileError>([&] { read_word_list(empty); }), empty + ": no words");
}

TEST(Corpus, EmptyLineIsAnErrorButTheLastNewlineIsNot) {
  TempDir dir;
  const auto dict = written(dir, "dict", "A AH\nB B IY\n\nC S IY\n");
  EXPECT_EQ(error_of<core::FileError>([&] { read_cmudict(dict); }), dict + ": line 3: empty line");
  const auto spaces = written(dir, "spaces.tsv", "A\tAH\n  \r\n");
  EXPECT_EQ(error_of<core::FileError>([&] { read_pronunciation_tsv(spaces); }),
            spaces + ": line 2: empty line");
  const auto parallel = written(dir, "p.tsv", "a\tb\n\nc\td\n");
  EXPECT_EQ(error_of<core::FileError>(
                [&] { read_parallel_tsv(parallel, Tokenization::kWords, Tokenization::kWords); }),
            parallel + ": line 2: empty line");
  // One final newline, LF or CRLF, ends the last line; with or without it the file reads.
  EXPECT_EQ(read_cmudict(written(dir, "lf", "A AH\n")).size(), 1u);
  EXPECT_EQ(read_cmudict(written(dir, "crlf", "A AH\r\n")).size(), 1u);
  EXPECT_EQ(read_cmudict(written(dir, "none", "A AH")).size(), 1u);
}

TEST(Corpus, MalformedLinesNameFileAndLine) {
  TempDir dir;
  const auto dict = written(dir, "dict", ";;; c\nA AH\nBEE\n");
  const auto dict_error = error_of<core::FileError>([&] { read_cmudict(dict); });
  EXPECT_TRUE(contains(dict_error, dict + ": line 3: expected WORD followed by phones"));
  EXPECT_TRUE(contains(dict_error, "'BEE'"));

  const auto no_tab = written(dir, "train", "A\tAH\nBEE B IY\n");
  EXPECT_TRUE(contains(error_of<core::FileError>([&] { read_pronunciation_tsv(no_tab); }),
                       no_tab + ": line 2: expected WORD<TAB>PHONES"));
  const auto empty_field = written(dir, "ref", "A\tAH\t\n");
  EXPECT_TRUE(contains(error_of<core::FileError>([&] { read_pronunciation_tsv(empty_field); }),
                       empty_field + ": line 1: expected WORD<TAB>PHONES"));
  const auto no_word = written(dir, "noword", "A\tAH\n\tB IY\n");
  EXPECT_TRUE(contains(error_of<core::FileError>([&] { read_pronunciation_tsv(no_word); }),
                       no_word + ": line 2: expected WORD<TAB>PHONES"));

  const auto parallel = written(dir, "p.tsv", "a\tb\nno tab here\n");
  EXPECT_TRUE(contains(error_of<core::FileError>([&] {
                         read_parallel_tsv(parallel, Tokenization::kWords, Tokenization::kWords);
                       }),
                       parallel + ": line 2: expected SOURCE<TAB>TARGET"));
  const auto empty_target = written(dir, "q.tsv", "a\tb\nc\t  \n");
  EXPECT_EQ(error_of<core::FileError>([&] {
              read_parallel_tsv(empty_target, Tokenization::kWords, Tokenization::kCharacters);
            }),
            empty_target + ": line 2: empty target");
}

TEST(Corpus, EmptyCommentOnlyAndMissingFiles) {
  TempDir dir;
  const auto empty = written(dir, "empty", "");
  EXPECT_EQ(error_of<core::FileError>([&] { read_cmudict(empty); }), empty + ": no entries");
  EXPECT_EQ(error_of<core::FileError>([&] { read_pronunciations(empty); }), empty + ": no entries");
  EXPECT_EQ(error_of<core::FileError>(
                [&] { read_parallel_tsv(empty, Tokenization::kWords, Tokenization::kWords); }),
            empty + ": no entries");
  const auto comments = written(dir, "comments", ";;; only\n;;; comments\n");
  EXPECT_EQ(error_of<core::FileError>([&] { read_cmudict(comments); }), comments + ": no entries");
  EXPECT_EQ(error_of<core::FileError>([&] { read_pronunciation_tsv(comments); }),
            comments + ": no entries");

  const auto missing = dir / "missing.dict";
  EXPECT_EQ(error_of<core::FileError>([&] { read_pronunciations(missing); }),
            missing + ": no such file");
  EXPECT_EQ(error_of<core::FileError>([&] { read_word_list(missing); }),
            missing + ": no such file");
}

Corpus numbered(int size) {
  Corpus corpus;
  for (int i = 0; i < size; ++i) {
    Entry entry;
    entry.text = "W" + std::to_string(i);
    entry.source = tokenize(entry.text, Tokenization::kCharacters);
    entry.targets = {{"P" + std::to_string(i)}, {"Q" + std::to_string(i)}};
    entry.line = i + 1;
    corpus.push_back(entry);
  }
  return corpus;
}

TEST(Corpus, SplitDevKeepsEntriesWholeAndIsDeterministic) {
  const Corpus corpus = numbered(1000);
  const auto [train, dev] = split_dev(corpus, 0.1, /*seed=*/7);
  EXPECT_EQ(dev.size(), 100u);
  EXPECT_EQ(train.size() + dev.size(), corpus.size());

  // Every entry lands on exactly one side with all its targets; both sides keep file order.
  std::set<std::string> seen;
  for (const auto* side : {&train, &dev}) {
    for (size_t i = 0; i < side->size(); ++i) {
      const Entry& e = (*side)[i];
      EXPECT_TRUE(seen.insert(e.text).second) << e.text;
      EXPECT_EQ(e.targets, corpus[static_cast<size_t>(e.line - 1)].targets);
      if (i > 0) {
        EXPECT_LT((*side)[i - 1].line, e.line);
      }
    }
  }
  EXPECT_EQ(seen.size(), corpus.size());

  const auto texts = [](const Corpus& c) {
    std::vector<std::string> t;
    for (const auto& e : c) t.push_back(e.text);
    return t;
  };
  EXPECT_EQ(texts(split_dev(corpus, 0.1, 7).second), texts(dev));
  EXPECT_NE(texts(split_dev(corpus, 0.1, 8).second), texts(dev));
  // Not simply the first or last entries.
  EXPECT_NE(dev.front().text, "W0");
  EXPECT_NE(dev.back().text, "W999");

  EXPECT_EQ(split_dev(corpus, 0.25, 1).second.size(), 250u);
  EXPECT_TRUE(split_dev(corpus, 0.0, 1).second.empty());
  EXPECT_EQ(split_dev(corpus, 1.0, 1).second.size(), 1000u);
  EXPECT_THROW(split_dev(corpus, 1.5, 1), std::invalid_argument);
  EXPECT_THROW(split_dev(corpus, -0.1, 1), std::invalid_argument);
}

}  // namespace
}  // namespace nnlab::seq2seq
