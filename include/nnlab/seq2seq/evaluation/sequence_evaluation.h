// A sequence model (or an ensemble) against a test corpus with references: every source decoded
// in batches, the best output of each scored by WER/PER (any reference counts) and corpus BLEU —
// what `nnlab g2p eval` and `nnlab seq2seq eval` report.
#pragma once

#include <vector>

#include "nnlab/seq2seq/decoding/ensemble.h"
#include "nnlab/seq2seq/decoding/translator.h"
#include "nnlab/text/corpus.h"
#include "nnlab/text/sequence_metrics.h"

namespace nnlab::seq2seq {

struct SequenceEvaluation {
  std::vector<Tokens> outputs;  // the best output of each test entry, in the test's order
  ErrorReport errors;           // score_sequences: WER and PER, in total and by source length
  BleuScore bleu;               // corpus BLEU-4
  double seconds = 0;           // decoding time, wall clock
  double entries_per_second() const;
};

// Decodes test's sources with models' decoder (the first model's vocabularies).
SequenceEvaluation evaluate_sequences(const ModelEnsemble& models, const Corpus& test,
                                      const TranslateOptions& options);

}  // namespace nnlab::seq2seq
