// A language model beside the baselines it must beat: its perplexity per token next to add-k
// unigram and bigram models (ngram_model.h) fitted on the training documents with k tuned on dev,
// all on the same documents (what the lm eval command prints with its baselines).
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "nnlab/seq2seq/evaluation/perplexity.h"
#include "nnlab/seq2seq/models/language_model_file.h"

namespace nnlab::seq2seq {

struct PerplexityRow {
  std::string model;  // "rnn (lstm)", "unigram, add-k, k = 0.100", ...
  Perplexity perplexity;
  int order = 0;  // of an n-gram baseline; 0: the language model itself
  double k = 0;   // a baseline's add-k constant
  // {"model", "nll", "tokens", ... and for a baseline "order" and "k"}.
  nlohmann::json to_json() const;
};

// The model's row, then (baselines) the unigram's and the bigram's, on `evaluated`. train and
// dev (token ids of the model's vocabulary) are read only for the baselines.
std::vector<PerplexityRow> perplexity_table(LanguageModelFile& model,
                                            const std::vector<std::vector<std::int64_t>>& train,
                                            const std::vector<std::vector<std::int64_t>>& dev,
                                            const std::vector<std::vector<std::int64_t>>& evaluated,
                                            bool baselines);

// The rows as a JSON array.
nlohmann::json to_json(const std::vector<PerplexityRow>& rows);

}  // namespace nnlab::seq2seq
