#include "nnlab/text/sequence_metrics.h"

#include <gtest/gtest.h>

#include <cmath>
#include <stdexcept>

namespace nnlab::seq2seq {
namespace {

Tokens words(const std::string& text) {
  return tokenize(text, Tokenization::kWords);
}

Entry entry(const std::string& text, std::vector<std::string> targets) {
  Entry e;
  e.text = text;
  e.source = tokenize(text, Tokenization::kCharacters);
  for (const auto& t : targets) e.targets.push_back(words(t));
  return e;
}

TEST(SequenceMetrics, EditDistanceKnownValues) {
  const auto chars = [](const std::string& s) { return tokenize(s, Tokenization::kCharacters); };
  EXPECT_EQ(edit_distance(chars("kitten"), chars("sitting")), 3);
  EXPECT_EQ(edit_distance(chars("sitting"), chars("kitten")), 3);
  EXPECT_EQ(edit_distance(chars("flaw"), chars("lawn")), 2);
  EXPECT_EQ(edit_distance({}, chars("abc")), 3);
  EXPECT_EQ(edit_distance(chars("abc"), {}), 3);
  EXPECT_EQ(edit_distance({}, {}), 0);
  EXPECT_EQ(edit_distance(words("AE B IY"), words("AE B IY")), 0);
  EXPECT_EQ(edit_distance(words("A B"), words("B A")), 2);
}

// ABS: the hypothesis is the SECOND reference (correct). ABBY: one substitution. TOMATO: the
// second reference is closer (1 against 2). READ: both references are 1 away; the shorter (3
// phones, listed second) counts.
TEST(SequenceMetrics, WerAndPerWithSeveralReferences) {
  const Corpus references = {
      entry("ABS", {"AE B Z", "EY B IY EH S"}),
      entry("ABBY", {"AE B IY"}),
      entry("TOMATO", {"T AH M EY T OW", "T AH M AA T OW"}),
      entry("READ", {"R EH D Z", "R IY D"}),
  };
  const std::vector<Tokens> hypotheses = {words("EY B IY EH S"), words("AH B IY"),
                                          words("T AH M AA T AH"), words("R EH D")};
  const ErrorReport report = score_sequences(references, hypotheses);
  EXPECT_EQ(report.total.words, 4);
  EXPECT_EQ(report.total.wrong_words, 3);
  EXPECT_EQ(report.total.token_errors, 0 + 1 + 1 + 1);
  EXPECT_EQ(report.total.reference_tokens, 5 + 3 + 6 + 3);
  EXPECT_DOUBLE_EQ(report.total.wer(), 75.0);
  EXPECT_DOUBLE_EQ(report.total.per(), 300.0 / 17.0);

  // By source length: ABS (3); ABBY and READ (4); TOMATO (6).
  ASSERT_EQ(report.by_source_length.size(), 3u);
  const ErrorCounts& three = report.by_source_length.at(3);
  EXPECT_EQ(three.words, 1);
  EXPECT_EQ(three.wrong_words, 0);
  EXPECT_EQ(three.reference_tokens, 5);
  EXPECT_DOUBLE_EQ(three.wer(), 0.0);
  const ErrorCounts& four = report.by_source_length.at(4);
  EXPECT_EQ(four.words, 2);
  EXPECT_EQ(four.wrong_words, 2);
  EXPECT_EQ(four.token_errors, 2);
  EXPECT_EQ(four.reference_tokens, 6);
  EXPECT_DOUBLE_EQ(four.per(), 100.0 * 2 / 6);
  const ErrorCounts& six = report.by_source_length.at(6);
  EXPECT_EQ(six.token_errors, 1);
  EXPECT_EQ(six.reference_tokens, 6);
}

TEST(SequenceMetrics, EmptyCountsAndBadArguments) {
  EXPECT_DOUBLE_EQ(ErrorCounts{}.wer(), 0.0);
  EXPECT_DOUBLE_EQ(ErrorCounts{}.per(), 0.0);
  const ErrorReport empty = score_sequences({}, {});
  EXPECT_EQ(empty.total.words, 0);
  EXPECT_TRUE(empty.by_source_length.empty());

  const Corpus references = {entry("ABBY", {"AE B IY"})};
  EXPECT_THROW(score_sequences(references, {}), std::invalid_argument);
  Corpus no_target = {entry("ABBY", {})};
  EXPECT_THROW(score_sequences(no_target, {words("AE")}), std::invalid_argument);
  EXPECT_THROW(corpus_bleu(no_target, {words("AE")}), std::invalid_argument);
  EXPECT_THROW(corpus_bleu(references, {words("AE"), words("B")}), std::invalid_argument);
  EXPECT_THROW(corpus_bleu(references, {words("AE")}, /*max_order=*/0), std::invalid_argument);
}

TEST(Bleu, IdenticalIsOneHundred) {
  const Corpus references = {entry("a", {"the cat sat on the mat"}),
                             entry("b", {"a dog barked at the mailman today"})};
  const BleuScore score =
      corpus_bleu(references, {references[0].targets[0], references[1].targets[0]});
  EXPECT_DOUBLE_EQ(score.bleu, 100.0);
  ASSERT_EQ(score.precisions.size(), 4u);
  for (const double p : score.precisions) EXPECT_DOUBLE_EQ(p, 100.0);
  EXPECT_DOUBLE_EQ(score.brevity_penalty, 1.0);
  EXPECT_EQ(score.hypothesis_length, 13);
  EXPECT_EQ(score.reference_length, 13);
}

// Hypothesis "the cat sat on the mat" (6 words) against "the cat sat on the red mat" (7):
// precisions 6/6, 4/5, 3/4, 2/3; BP = exp(1 - 7/6); BLEU = BP * (1 * 0.8 * 0.75 * 2/3)^(1/4).
TEST(Bleu, HandComputedWithBrevityPenalty) {
  const Corpus references = {entry("s", {"the cat sat on the red mat"})};
  const BleuScore score = corpus_bleu(references, {words("the cat sat on the mat")});
  ASSERT_EQ(score.precisions.size(), 4u);
  EXPECT_DOUBLE_EQ(score.precisions[0], 100.0);
  EXPECT_DOUBLE_EQ(score.precisions[1], 80.0);
  EXPECT_DOUBLE_EQ(score.precisions[2], 75.0);
  EXPECT_NEAR(score.precisions[3], 200.0 / 3, 1e-9);
  EXPECT_EQ(score.hypothesis_length, 6);
  EXPECT_EQ(score.reference_length, 7);
  EXPECT_NEAR(score.brevity_penalty, std::exp(1.0 - 7.0 / 6.0), 1e-12);
  EXPECT_NEAR(score.bleu, 67.31821382417488, 1e-9);
}

TEST(Bleu, NoMatchingFourGramGivesZero) {
  const Corpus references = {entry("s", {"a b c e"})};
  const BleuScore score = corpus_bleu(references, {words("a b c d")});
  EXPECT_DOUBLE_EQ(score.precisions[0], 75.0);
  EXPECT_NEAR(score.precisions[1], 200.0 / 3, 1e-9);
  EXPECT_DOUBLE_EQ(score.precisions[2], 50.0);
  EXPECT_DOUBLE_EQ(score.precisions[3], 0.0);
  EXPECT_DOUBLE_EQ(score.bleu, 0.0);
  // With bigrams only, the same pair scores sqrt(3/4 * 2/3).
  EXPECT_NEAR(corpus_bleu(references, {words("a b c d")}, 2).bleu, 100 * std::sqrt(0.5), 1e-9);
}

// Papineni et al.'s example: "the" appears at most twice in any one reference, so 2 of the 7
// "the"s count. The closest reference has 7 words: no brevity penalty.
TEST(Bleu, MultipleReferencesClipAndCombine) {
  const Corpus papineni = {entry("s", {"the cat is on the mat", "there is a cat on the mat"})};
  const BleuScore clipped =
      corpus_bleu(papineni, {words("the the the the the the the")}, /*max_order=*/1);
  EXPECT_NEAR(clipped.precisions[0], 200.0 / 7, 1e-9);
  EXPECT_EQ(clipped.reference_length, 7);
  EXPECT_NEAR(clipped.bleu, 200.0 / 7, 1e-9);

  // The clip is the count in the best single reference (2 "the"s in the first), not the sum
  // over references (3); n-grams may match different references.
  const Corpus two = {entry("s", {"the cat the", "the dog sat"})};
  const BleuScore combined = corpus_bleu(two, {words("the the the sat")}, /*max_order=*/1);
  EXPECT_DOUBLE_EQ(combined.precisions[0], 75.0);

  // Lengths 4 and 6 are equally close to 5: the shorter counts, and 5 > 4 means BP = 1.
  const Corpus tie = {entry("s", {"a b c d", "a b c d e f"})};
  const BleuScore tied = corpus_bleu(tie, {words("a b c d e")});
  EXPECT_EQ(tied.reference_length, 4);
  EXPECT_DOUBLE_EQ(tied.brevity_penalty, 1.0);
}

}  // namespace
TEST(Bleu, EffectiveOrderLeavesOutOrdersWithoutNgrams) {
  // Three-word captions: no 4-gram anywhere. Strict BLEU-4 is 0; with effective order it is the
  // geometric mean of the 1- to 3-gram precisions: here 5/6, 3/4 and 1/2 (one caption wrong in
  // its last word), no brevity penalty.
  const Corpus references = {entry("a", {"sneaker shirt bag"}), entry("b", {"coat coat dress"})};
  const std::vector<Tokens> hypotheses = {words("sneaker shirt bag"), words("coat coat bag")};
  const auto strict = corpus_bleu(references, hypotheses);
  EXPECT_DOUBLE_EQ(strict.bleu, 0.0);
  EXPECT_EQ(strict.orders, 4);
  const auto effective = corpus_bleu(references, hypotheses, 4, /*effective_order=*/true);
  EXPECT_EQ(effective.orders, 3);
  EXPECT_NEAR(effective.bleu, 100.0 * std::cbrt((5.0 / 6) * (3.0 / 4) * (1.0 / 2)), 1e-9);
}

}  // namespace nnlab::seq2seq
