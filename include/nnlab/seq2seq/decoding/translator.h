// Decoding many sources with a trained sequence model: sources are sorted by length into
// batches (little padding), searched, and returned in their original order.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "nnlab/seq2seq/decoding/search.h"
#include "nnlab/seq2seq/models/model_file.h"
#include "nnlab/text/corpus.h"

namespace nnlab::seq2seq {

struct TranslateOptions {
  SearchOptions search;
  std::int64_t batch_size = 256;  // sources per batch
};

// One n-best list per source. Tokens the source vocabulary lacks become <unk>; callers that must
// refuse them check with check_known first.
std::vector<std::vector<Hypothesis>> translate(SequenceModel& model,
                                               const std::vector<Tokens>& sources,
                                               const TranslateOptions& options);
// The same with any decoder (an ensemble) that reads sources in `source_vocabulary`; the caller
// puts its models in eval mode.
std::vector<std::vector<Hypothesis>> translate(StepDecoder& decoder,
                                               const Vocabulary& source_vocabulary,
                                               const std::vector<Tokens>& sources,
                                               const TranslateOptions& options);

// The best hypothesis of each source as target tokens.
std::vector<Tokens> best_outputs(const SequenceModel& model,
                                 const std::vector<std::vector<Hypothesis>>& results);

// Throws core::FileError ("<source>: line N: 'X' contains 'é', never seen in training") for the
// first entry with a token the vocabulary lacks.
void check_known(const Corpus& corpus, const Vocabulary& vocabulary, const std::string& source);

}  // namespace nnlab::seq2seq
