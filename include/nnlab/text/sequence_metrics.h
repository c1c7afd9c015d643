// Scores for generated sequences: word error rate with several references (a word is correct
// when its hypothesis equals ANY reference), phone error rate against the closest reference
// (Levenshtein distance over the reference's length, summed over the corpus), both broken down
// by source length; and corpus BLEU (Papineni et al. 2002) for translation.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "nnlab/text/corpus.h"

namespace nnlab::seq2seq {

// Levenshtein distance (insertions, deletions, substitutions all cost 1).
std::int64_t edit_distance(const Tokens& a, const Tokens& b);

struct ErrorCounts {
  std::int64_t words = 0;
  std::int64_t wrong_words = 0;
  std::int64_t token_errors = 0;      // edit distance to the closest reference, summed
  std::int64_t reference_tokens = 0;  // length of that closest reference, summed
  double wer() const;                 // percent; 0 when words == 0
  double per() const;                 // percent; 0 when reference_tokens == 0
};

struct ErrorReport {
  ErrorCounts total;
  std::map<std::int64_t, ErrorCounts> by_source_length;  // key: number of source tokens
};

// hypotheses[i] is the output for references[i]. Throws std::invalid_argument when the sizes
// differ or an entry has no target. The closest reference is the one with the smallest edit
// distance (ties: the shorter, then the first).
ErrorReport score_sequences(const Corpus& references, const std::vector<Tokens>& hypotheses);

struct BleuScore {
  double bleu = 0;                 // percent, 0..100
  std::vector<double> precisions;  // modified n-gram precisions, percent, n = 1..max_order
  double brevity_penalty = 1;
  std::int64_t hypothesis_length = 0;
  std::int64_t reference_length = 0;  // closest reference length per sentence, summed
  int orders = 0;                     // n-gram orders in the geometric mean
};

// Corpus-level BLEU with clipped counts against all targets of each entry, the closest-length
// reference for the brevity penalty, no smoothing (a zero precision gives 0). With
// effective_order, orders of which the hypotheses hold no n-gram at all are left out of the mean
// (sacreBLEU's effective order): BLEU-4 of three-word captions is then their BLEU-3, where the
// strict BLEU-4 is 0 because no 4-gram exists.
BleuScore corpus_bleu(const Corpus& references, const std::vector<Tokens>& hypotheses,
                      int max_order = 4, bool effective_order = false);

}  // namespace nnlab::seq2seq
