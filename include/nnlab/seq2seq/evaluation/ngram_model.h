// The baselines a neural language model must beat: add-k smoothed unigram and bigram models
//   unigram  P(w)     = (c(w) + k) / (N + k V)
//   bigram   P(w | v) = (c(v, w) + k) / (c(v) + k V)
// over the same token ids and the same predicted events as perplexity.h (every token and the
// final </s> of a document; the bigram's first context is <s>). V counts the tokens that can be
// predicted: the vocabulary without padding and <s>.
#pragma once

#include <cstdint>
#include <unordered_map>
#include <vector>

#include "nnlab/seq2seq/evaluation/perplexity.h"

namespace nnlab::seq2seq {

class NgramModel {
 public:
  // order 1 or 2; k > 0 (TORCH_CHECK).
  NgramModel(int order, double k, std::int64_t vocabulary_size);
  void fit(const std::vector<std::vector<std::int64_t>>& documents);
  double probability(std::int64_t previous, std::int64_t token) const;
  Perplexity perplexity(const std::vector<std::vector<std::int64_t>>& documents) const;
  int order() const { return order_; }
  double k() const { return k_; }

  // The model whose k (among `candidates`) gives the lowest perplexity on `dev`.
  static NgramModel tuned(int order, std::int64_t vocabulary_size,
                          const std::vector<std::vector<std::int64_t>>& train,
                          const std::vector<std::vector<std::int64_t>>& dev,
                          const std::vector<double>& candidates = {1, 0.3, 0.1, 0.03, 0.01, 0.003,
                                                                   0.001});

 private:
  int order_;
  double k_;
  std::int64_t vocabulary_size_;
  std::int64_t predicted_size_;  // V above
  std::vector<std::int64_t> unigram_;
  std::int64_t total_ = 0;
  std::vector<std::int64_t> context_;                     // c(v)
  std::unordered_map<std::int64_t, std::int64_t> pairs_;  // v * vocabulary + w -> c(v, w)
};

}  // namespace nnlab::seq2seq
