// WER/PER as the G2P literature scores CMUdict splits (a word is right when it matches any
// reference; phone errors are counted against the closest one), and corpus BLEU:
//   BLEU = BP * exp(sum_n log(p_n) / N),  BP = exp(1 - r / c) when c < r, else 1,
// with p_n the n-gram precision clipped by the largest count of the n-gram in any one reference,
// c the hypothesis length and r the length of the reference closest to it (ties: the shorter),
// both summed over the corpus (Papineni et al. 2002, as in multi-bleu.perl and sacreBLEU).
#include "nnlab/text/sequence_metrics.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <stdexcept>
#include <unordered_map>

namespace nnlab::seq2seq {

namespace {

void check_sizes(const char* function, const Corpus& references,
                 const std::vector<Tokens>& hypotheses) {
  if (references.size() != hypotheses.size()) {
    throw std::invalid_argument(std::string(function) + ": " + std::to_string(hypotheses.size()) +
                                " hypotheses for " + std::to_string(references.size()) +
                                " references");
  }
  for (size_t i = 0; i < references.size(); ++i) {
    if (references[i].targets.empty()) {
      throw std::invalid_argument(std::string(function) + ": entry " + std::to_string(i) + " ('" +
                                  references[i].text + "') has no target");
    }
  }
}

void add(ErrorCounts& counts, bool wrong, std::int64_t errors, std::int64_t length) {
  counts.words += 1;
  counts.wrong_words += wrong ? 1 : 0;
  counts.token_errors += errors;
  counts.reference_tokens += length;
}

// The n-grams of tokens for n = 1..max_order, keyed by their tokens joined with a unit
// separator (which no tokenizer here produces) and counted.
using NgramCounts = std::unordered_map<std::string, std::int64_t>;

std::vector<NgramCounts> count_ngrams(const Tokens& tokens, int max_order) {
  std::vector<NgramCounts> counts(static_cast<size_t>(max_order));
  for (size_t start = 0; start < tokens.size(); ++start) {
    std::string key;
    for (int n = 1; n <= max_order && start + static_cast<size_t>(n) <= tokens.size(); ++n) {
      if (n > 1) key.push_back('\x1f');
      key += tokens[start + static_cast<size_t>(n) - 1];
      ++counts[static_cast<size_t>(n - 1)][key];
    }
  }
  return counts;
}

}  // namespace

std::int64_t edit_distance(const Tokens& a, const Tokens& b) {
  // Two rows of the (|a|+1) x (|b|+1) table; row i holds the distances of a[0, i) to b's prefixes.
  std::vector<std::int64_t> previous(b.size() + 1);
  std::vector<std::int64_t> current(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) previous[j] = static_cast<std::int64_t>(j);
  for (size_t i = 1; i <= a.size(); ++i) {
    current[0] = static_cast<std::int64_t>(i);
    for (size_t j = 1; j <= b.size(); ++j) {
      const std::int64_t substitute = previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1);
      current[j] = std::min({substitute, previous[j] + 1, current[j - 1] + 1});
    }
    std::swap(previous, current);
  }
  return previous[b.size()];
}

double ErrorCounts::wer() const {
  return words == 0 ? 0.0 : 100.0 * static_cast<double>(wrong_words) / static_cast<double>(words);
}

double ErrorCounts::per() const {
  return reference_tokens == 0
             ? 0.0
             : 100.0 * static_cast<double>(token_errors) / static_cast<double>(reference_tokens);
}

ErrorReport score_sequences(const Corpus& references, const std::vector<Tokens>& hypotheses) {
  check_sizes("score_sequences", references, hypotheses);
  ErrorReport report;
  for (size_t i = 0; i < references.size(); ++i) {
    const auto& targets = references[i].targets;
    std::int64_t best_distance = -1;
    std::int64_t best_length = 0;
    for (const auto& target : targets) {
      const std::int64_t distance = edit_distance(hypotheses[i], target);
      const auto length = static_cast<std::int64_t>(target.size());
      if (best_distance < 0 || distance < best_distance ||
          (distance == best_distance && length < best_length)) {
        best_distance = distance;
        best_length = length;
      }
    }
    // Distance 0 to the closest reference is the same as equal to one of them.
    const bool wrong = best_distance != 0;
    add(report.total, wrong, best_distance, best_length);
    add(report.by_source_length[static_cast<std::int64_t>(references[i].source.size())], wrong,
        best_distance, best_length);
  }
  return report;
}

BleuScore corpus_bleu(const Corpus& references, const std::vector<Tokens>& hypotheses,
                      int max_order, bool effective_order) {
  if (max_order < 1) {
    throw std::invalid_argument("corpus_bleu: max_order " + std::to_string(max_order) +
                                " is below 1");
  }
  check_sizes("corpus_bleu", references, hypotheses);
  const auto orders = static_cast<size_t>(max_order);
  std::vector<std::int64_t> matches(orders, 0);
  std::vector<std::int64_t> totals(orders, 0);
  BleuScore score;
  for (size_t i = 0; i < references.size(); ++i) {
    const Tokens& hypothesis = hypotheses[i];
    const auto c = static_cast<std::int64_t>(hypothesis.size());
    score.hypothesis_length += c;

    // The largest count of each n-gram in any single reference, and the closest length.
    std::vector<NgramCounts> max_reference(orders);
    std::int64_t closest = -1;
    for (const auto& target : references[i].targets) {
      const auto r = static_cast<std::int64_t>(target.size());
      if (closest < 0 || std::llabs(r - c) < std::llabs(closest - c) ||
          (std::llabs(r - c) == std::llabs(closest - c) && r < closest)) {
        closest = r;
      }
      const auto counts = count_ngrams(target, max_order);
      for (size_t n = 0; n < orders; ++n) {
        for (const auto& [ngram, count] : counts[n]) {
          auto& best = max_reference[n][ngram];
          best = std::max(best, count);
        }
      }
    }
    score.reference_length += closest;

    const auto counts = count_ngrams(hypothesis, max_order);
    for (size_t n = 0; n < orders; ++n) {
      totals[n] += std::max<std::int64_t>(0, c - static_cast<std::int64_t>(n));
      for (const auto& [ngram, count] : counts[n]) {
        const auto found = max_reference[n].find(ngram);
        if (found != max_reference[n].end()) matches[n] += std::min(count, found->second);
      }
    }
  }

  double log_sum = 0;
  bool any_zero = false;
  for (size_t n = 0; n < orders; ++n) {
    const double precision =
        totals[n] == 0 ? 0.0 : static_cast<double>(matches[n]) / static_cast<double>(totals[n]);
    score.precisions.push_back(100.0 * precision);
    if (effective_order && totals[n] == 0) continue;
    ++score.orders;
    if (precision == 0) {
      any_zero = true;
    } else {
      log_sum += std::log(precision);
    }
  }
  const double c = static_cast<double>(score.hypothesis_length);
  const double r = static_cast<double>(score.reference_length);
  if (c == 0) {
    score.brevity_penalty = 0;
  } else if (c < r) {
    score.brevity_penalty = std::exp(1.0 - r / c);
  }
  score.bleu = any_zero || score.orders == 0
                   ? 0.0
                   : 100.0 * score.brevity_penalty * std::exp(log_sum / score.orders);
  return score;
}

}  // namespace nnlab::seq2seq
