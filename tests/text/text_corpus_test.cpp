#include "nnlab/text/text_corpus.h"

#include <gtest/gtest.h>

#include "data/data_test_util.h"
#include "nnlab/core/error.h"
#include "nnlab/text/verse_form.h"

namespace nnlab::seq2seq {
namespace {

using data::testing_util::TempDir;
using data::testing_util::write_bytes;

const char* const kPoems =
    "\x1b[32m\xe3\x80\x8a\xe9\x9d\x99\xe5\xa4\x9c\xe6\x80\x9d\xe3\x80\x8b\x1b[m\n"  // 《静夜思》
    "\x1b[33m作者：李白\x1b[m\n"
    "床前明月光，疑是地上霜。\n"
    "举头望明月，低头思故乡。\n"
    "%\n"
    "\x1b[32m题目\x1b[m\n"
    "\n"
    "春眠不觉晓，处处闻啼鸟。\n"
    "%\n";

TEST(TextCorpus, ReadsFortuneRecordsWithoutTitlesAndEscapes) {
  TempDir dir;
  write_bytes(dir / "tang", kPoems);
  const auto docs = read_documents(dir / "tang", Tokenization::kCharacters);
  ASSERT_EQ(docs.size(), 2u);
  EXPECT_EQ(docs[0].text, "床前明月光，疑是地上霜。\n举头望明月，低头思故乡。");
  EXPECT_EQ(docs[0].line, 3);
  // 24 characters and one newline token; one token per Chinese character, never a byte.
  ASSERT_EQ(docs[0].tokens.size(), 25u);
  EXPECT_EQ(docs[0].tokens[0], "床");
  EXPECT_EQ(docs[0].tokens[12], kNewline);
  EXPECT_EQ(docs[1].text, "春眠不觉晓，处处闻啼鸟。");
  EXPECT_EQ(docs[1].line, 8);
}

TEST(TextCorpus, ReadsPlainParagraphsAndWords) {
  TempDir dir;
  write_bytes(dir / "text", "the cat sat\non the mat\n\n\nthe dog\n");
  const auto docs = read_documents(dir / "text", Tokenization::kWords);
  ASSERT_EQ(docs.size(), 2u);
  EXPECT_EQ(docs[0].tokens, (Tokens{"the", "cat", "sat", kNewline, "on", "the", "mat"}));
  EXPECT_EQ(docs[1].tokens, (Tokens{"the", "dog"}));
  EXPECT_EQ(docs[1].line, 5);
}

TEST(TextCorpus, EmptyTextAndInvalidUtf8AreErrors) {
  TempDir dir;
  write_bytes(dir / "empty", "\n\n%\n%\n");
  try {
    read_documents(dir / "empty", Tokenization::kCharacters);
    FAIL();
  } catch (const core::FileError& e) {
    EXPECT_EQ(std::string(e.what()), dir / "empty" + ": no text");
  }
  write_bytes(dir / "latin1", "%\ncaf\xe9\n%\n");
  try {
    read_documents(dir / "latin1", Tokenization::kCharacters);
    FAIL();
  } catch (const core::FileError& e) {
    EXPECT_EQ(std::string(e.what()), dir / "latin1" + ": line 2: invalid UTF-8");
  }
}

TEST(TextCorpus, TheSplitDependsOnlyOnEachDocument) {
  std::vector<Document> docs;
  for (int i = 0; i < 400; ++i) {
    Document d;
    d.text = "document " + std::to_string(i);
    d.tokens = {d.text};
    docs.push_back(d);
  }
  const auto split = split_documents(docs, 10, 5);
  EXPECT_EQ(split.train.size() + split.dev.size() + split.heldout.size(), docs.size());
  EXPECT_NEAR(static_cast<double>(split.heldout.size()), 40, 15);
  EXPECT_NEAR(static_cast<double>(split.dev.size()), 18, 10);
  // Dropping half of the documents moves none of the others to another side.
  const std::vector<Document> half(docs.begin(), docs.begin() + 200);
  const auto smaller = split_documents(half, 10, 5);
  for (const auto& d : smaller.heldout) {
    EXPECT_TRUE(std::any_of(split.heldout.begin(), split.heldout.end(),
                            [&](const Document& x) { return x.text == d.text; }));
  }
  EXPECT_THROW(split_documents(docs, 100, 5), core::OptionError);
}

TEST(VerseForm, CountsLinesOfFiveOrSevenClosedByPunctuation) {
  const auto tokens = [](const std::string& text) {
    return tokenize_text(text, Tokenization::kCharacters);
  };
  auto f = verse_form(tokens("疑是地上霜。\n举头望明月，低头思"), /*finished=*/false);
  EXPECT_EQ(f.lines, 2);  // the unfinished piece is left out
  EXPECT_EQ(f.regular, 2);
  f = verse_form(tokens("疑是地上霜。\n举头望明月，低头思"), /*finished=*/true);
  EXPECT_EQ(f.lines, 3);  // now it is an irregular last line
  EXPECT_EQ(f.regular, 2);
  f = verse_form(tokens("两个黄鹂鸣翠柳，一行白鹭上青天。床前明，"), true);
  EXPECT_EQ(f.lines, 3);
  EXPECT_EQ(f.regular, 2);
  EXPECT_DOUBLE_EQ(f.share(), 2.0 / 3);
  f = verse_form(tokens("床前、明月光，"), true);  // 6 tokens, one of them punctuation
  EXPECT_EQ(f.regular, 0);
  EXPECT_EQ(verse_form({}, true).lines, 0);
}

}  // namespace
}  // namespace nnlab::seq2seq
