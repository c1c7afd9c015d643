#include "nnlab/seq2seq/evaluation/sequence_evaluation.h"

#include <algorithm>
#include <chrono>

namespace nnlab::seq2seq {

double SequenceEvaluation::entries_per_second() const {
  return static_cast<double>(outputs.size()) / std::max(seconds, 1e-9);
}

SequenceEvaluation evaluate_sequences(const ModelEnsemble& models, const Corpus& test,
                                      const TranslateOptions& options) {
  const auto& model = models.first();
  std::vector<Tokens> sources;
  sources.reserve(test.size());
  for (const auto& e : test) sources.push_back(e.source);
  SequenceEvaluation evaluation;
  const auto begin = std::chrono::steady_clock::now();
  evaluation.outputs =
      best_outputs(model, translate(*models.decoder, model.source_vocabulary, sources, options));
  evaluation.seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - begin).count();
  evaluation.errors = score_sequences(test, evaluation.outputs);
  evaluation.bleu = corpus_bleu(test, evaluation.outputs);
  return evaluation;
}

}  // namespace nnlab::seq2seq
