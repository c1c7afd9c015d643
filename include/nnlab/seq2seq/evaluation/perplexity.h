// Perplexity of a language model: exp of the mean negative log-likelihood per predicted token,
// every document read from a fresh state as <s> x1 .. xn </s> (the tokens and the final </s> are
// predicted, <s> is not) — the same count for the RNN and the n-gram baselines.
#pragma once

#include <cmath>
#include <cstdint>
#include <functional>
#include <nlohmann/json.hpp>
#include <vector>

#include "nnlab/seq2seq/models/language_model.h"

namespace nnlab::seq2seq {

struct Perplexity {
  double nll = 0;           // total negative log-likelihood, nats
  std::int64_t tokens = 0;  // predicted tokens
  double per_token() const {
    return tokens > 0 ? std::exp(nll / static_cast<double>(tokens)) : 0.0;
  }
  nlohmann::json to_json() const;
};

// Runs the model over a document batch (make_document_batch) bptt positions at a time, carrying
// the recurrent state from chunk to chunk (detached: truncated back-propagation through time).
// For each chunk: on_chunk(summed negative log-likelihood of its real targets, their count).
void for_each_chunk(LanguageModel& model, const torch::Tensor& batch, std::int64_t bptt,
                    const std::function<void(const torch::Tensor&, std::int64_t)>& on_chunk);

// The model's perplexity on documents (token ids), in eval mode without autograd.
Perplexity model_perplexity(LanguageModel& model,
                            const std::vector<std::vector<std::int64_t>>& documents,
                            std::int64_t batch_size = 64, std::int64_t bptt = 256);

}  // namespace nnlab::seq2seq
