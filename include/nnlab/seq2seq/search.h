// Searches over a StepDecoder's outputs, batched over sources: greedy, and beam search with
// length normalization and n-best lists (the search keeps `beam` live hypotheses per source and
// finishes a source once `beam` hypotheses have ended). Every output is capped at
// max_length_a * source length + max_length_b tokens so none runs away.
#pragma once

#include <torch/types.h>

#include <cstdint>
#include <vector>

#include "nnlab/seq2seq/step_decoder.h"

namespace nnlab::seq2seq {

struct SearchOptions {
  std::int64_t beam = 1;        // 1: greedy
  std::int64_t n_best = 1;      // hypotheses returned per source (<= beam)
  double length_penalty = 1.0;  // score = log P / length^length_penalty (0: raw log P)
  double max_length_a = 3.0;
  std::int64_t max_length_b = 10;
  bool attention = false;  // keep each hypothesis' attention matrix
  void validate() const;   // throws core::OptionError
};

struct Hypothesis {
  std::vector<std::int64_t> tokens;           // without <s> and </s>
  double log_prob = 0;                        // log P(tokens, </s> | source), natural log
  double score = 0;                           // log_prob normalized by length
  bool finished = true;                       // false: cut at the maximum length
  std::vector<std::vector<float>> attention;  // one row per output step (incl. </s>) x S
};

// One list per source (best first). source: B x S ids; lengths: B int64 (CPU).
// Runs in inference mode (no autograd); the caller puts the model in eval mode.
std::vector<std::vector<Hypothesis>> greedy_search(StepDecoder& decoder,
                                                   const torch::Tensor& source,
                                                   const torch::Tensor& lengths,
                                                   const SearchOptions& options);
std::vector<std::vector<Hypothesis>> beam_search(StepDecoder& decoder, const torch::Tensor& source,
                                                 const torch::Tensor& lengths,
                                                 const SearchOptions& options);
// beam 1: greedy_search; otherwise beam_search.
std::vector<std::vector<Hypothesis>> search(StepDecoder& decoder, const torch::Tensor& source,
                                            const torch::Tensor& lengths,
                                            const SearchOptions& options);

}  // namespace nnlab::seq2seq
