// Searches over a StepDecoder's outputs, batched over sources: greedy, sampling (temperature,
// top-k, seeded), and beam search with length normalization and n-best lists (the search keeps
// `beam` live hypotheses per source and finishes a source once `beam` hypotheses have ended, or
// earlier once no live hypothesis can beat its n_best finished ones).
// Every output is capped at max_length_a * source length + max_length_b tokens so none runs
// away. A prefix forces the first tokens of every output (a language model's prompt; a
// translation's given start, as CTranslate2's target_prefix).
#pragma once

#include <torch/types.h>

#include <cstdint>
#include <vector>

#include "nnlab/seq2seq/layers/step_decoder.h"

namespace nnlab::seq2seq {

struct SearchOptions {
  std::int64_t beam = 1;        // 1: greedy
  std::int64_t n_best = 1;      // hypotheses returned per source (<= beam)
  double length_penalty = 1.0;  // score = log P / length^length_penalty (0: raw log P)
  double max_length_a = 3.0;
  std::int64_t max_length_b = 10;
  bool attention = false;  // keep each hypothesis' attention matrix
  // Beam search finishes a source as soon as its n_best best finished hypotheses score at least
  // as high as any continuation of a live one can (log P only falls as an output grows; with
  // length normalization a live hypothesis is credited with the longest length allowed). The
  // n-best list is the same as without it; false runs every source until `beam` have ended.
  bool stop_early = true;
  // false: <unk> is never produced (generated text is for reading; a language model that maps
  // rare tokens to <unk> would otherwise write it often).
  bool allow_unknown = true;
  // Sampling (beam 1 only): draw each token from softmax(logits / temperature), restricted to
  // the top_k most likely (0: all). temperature 0 takes the most likely token (greedy).
  double temperature = 0;
  std::int64_t top_k = 0;
  std::uint64_t seed = 0;  // the sampler's own generator: the same seed gives the same outputs
  // Forced first tokens of every output (counted in its length, its log-probability and the
  // maximum length, and returned in Hypothesis::tokens).
  std::vector<std::int64_t> prefix;
  void validate() const;  // throws core::OptionError
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
// greedy_search samples when options.temperature > 0.
// beam 1: greedy_search; otherwise beam_search.
std::vector<std::vector<Hypothesis>> search(StepDecoder& decoder, const torch::Tensor& source,
                                            const torch::Tensor& lengths,
                                            const SearchOptions& options);

}  // namespace nnlab::seq2seq
