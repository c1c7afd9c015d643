#include "nnlab/seq2seq/evaluation/ngram_model.h"

#include <c10/util/Exception.h>

#include <cmath>
#include <limits>

#include "nnlab/text/vocabulary.h"

namespace nnlab::seq2seq {

namespace {

// The predicted events of a document: (previous, token) for x1 .. xn </s>.
template <typename F>
void for_each_event(const std::vector<std::int64_t>& document, F&& f) {
  std::int64_t previous = Vocabulary::kBegin;
  for (const auto token : document) {
    f(previous, token);
    previous = token;
  }
  f(previous, Vocabulary::kEnd);
}

}  // namespace

NgramModel::NgramModel(int order, double k, std::int64_t vocabulary_size)
    : order_(order),
      k_(k),
      vocabulary_size_(vocabulary_size),
      predicted_size_(vocabulary_size - 2),
      unigram_(static_cast<std::size_t>(vocabulary_size), 0),
      context_(static_cast<std::size_t>(vocabulary_size), 0) {
  TORCH_CHECK(order == 1 || order == 2, "n-gram order must be 1 or 2, got ", order);
  TORCH_CHECK(k > 0, "add-k smoothing needs k > 0, got ", k);
  TORCH_CHECK(vocabulary_size > 4, "vocabulary too small");
}

void NgramModel::fit(const std::vector<std::vector<std::int64_t>>& documents) {
  for (const auto& document : documents) {
    for_each_event(document, [&](std::int64_t previous, std::int64_t token) {
      TORCH_CHECK(token >= 0 && token < vocabulary_size_, "token id ", token, " out of range");
      ++unigram_[static_cast<std::size_t>(token)];
      ++total_;
      ++context_[static_cast<std::size_t>(previous)];
      ++pairs_[previous * vocabulary_size_ + token];
    });
  }
}

double NgramModel::probability(std::int64_t previous, std::int64_t token) const {
  const double v = static_cast<double>(predicted_size_);
  if (order_ == 1) {
    return (static_cast<double>(unigram_[static_cast<std::size_t>(token)]) + k_) /
           (static_cast<double>(total_) + k_ * v);
  }
  const auto it = pairs_.find(previous * vocabulary_size_ + token);
  const double pair = it == pairs_.end() ? 0.0 : static_cast<double>(it->second);
  return (pair + k_) / (static_cast<double>(context_[static_cast<std::size_t>(previous)]) + k_ * v);
}

Perplexity NgramModel::perplexity(const std::vector<std::vector<std::int64_t>>& documents) const {
  Perplexity result;
  for (const auto& document : documents) {
    for_each_event(document, [&](std::int64_t previous, std::int64_t token) {
      result.nll -= std::log(probability(previous, token));
      ++result.tokens;
    });
  }
  return result;
}

NgramModel NgramModel::tuned(int order, std::int64_t vocabulary_size,
                             const std::vector<std::vector<std::int64_t>>& train,
                             const std::vector<std::vector<std::int64_t>>& dev,
                             const std::vector<double>& candidates) {
  TORCH_CHECK(!candidates.empty(), "no k to choose from");
  NgramModel best(order, candidates.front(), vocabulary_size);
  double best_perplexity = std::numeric_limits<double>::infinity();
  for (const double k : candidates) {
    NgramModel model(order, k, vocabulary_size);
    model.fit(train);
    const double p = model.perplexity(dev).per_token();
    if (p < best_perplexity) {
      best_perplexity = p;
      best = std::move(model);
    }
  }
  return best;
}

}  // namespace nnlab::seq2seq
