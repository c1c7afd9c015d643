// A whole training run of a language model (what `nnlab lm train` does): documents read from
// fortune files or plain text and split by document into train / dev / held-out, the vocabulary
// built from the training documents (or model, split and progress taken from a training state),
// LmTrainer's epochs, the held-out perplexity beside the n-gram baselines, and the model file
// written with its data split, so that a training state can be resumed and `lm eval` finds the
// same held-out documents.
#pragma once

#include <cstdint>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "nnlab/seq2seq/evaluation/perplexity_table.h"
#include "nnlab/seq2seq/lm_trainer.h"
#include "nnlab/seq2seq/models/language_model_file.h"
#include "nnlab/text/text_corpus.h"

namespace nnlab::core {
struct ExecutionContext;
}

namespace nnlab::seq2seq {

// Where a language model's documents come from and how they are split (text_corpus.h).
struct LmDataOptions {
  std::vector<std::string> text;  // fortune files or plain text, read in this order
  int heldout_percent = 10;
  int dev_percent = 5;
};

// Every document of options.text, split by document. Throws core::FileError.
DocumentSplit read_document_split(const LmDataOptions& options, Tokenization tokens);

// The documents as token ids of `vocabulary` (unknown tokens as <unk>).
std::vector<std::vector<std::int64_t>> encode_documents(const Vocabulary& vocabulary,
                                                        const std::vector<Document>& documents);

// The split a model file or training state records (its training's "data"), for `text`; the
// defaults of LmDataOptions where it records none.
LmDataOptions recorded_split(const LanguageModelFile& model, std::vector<std::string> text);

struct LmTrainingOptions {
  LmDataOptions data;  // the split is the training state's when resuming
  Tokenization tokens = Tokenization::kCharacters;  // ignored when resuming
  std::int64_t min_count = 2;                       // rarer training tokens read as <unk>; >= 1
  LanguageModelOptions model;                       // ignored when resuming
  // The recipe; its seed is replaced by the execution context's.
  LmTrainOptions training;
  std::string output;  // the model file (required)
  std::string resume;  // a training state written to training.checkpoint_path; empty: a new model
};

// What was trained on, as the model file records it under training's "data".
struct LmDataSummary {
  std::int64_t train_documents = 0, train_tokens = 0, dev_documents = 0, heldout_documents = 0;
};

struct LmTrainingResult {
  LanguageModelFile model;  // the kept weights, as written to options.output
  LmTrainResult training;
  LmDataSummary data;
  std::vector<PerplexityRow> heldout;  // empty when no document was held out
  std::int64_t parameters = 0;
  // training's JSON with "output", "heldout" (the rows, or null) and "parameters".
  nlohmann::json to_json(const std::string& output) const;
};

struct LmTrainingCallbacks {
  // The model about to be trained (after a resume restored it) and its data.
  std::function<void(const LanguageModelFile&, const LmDataSummary&)> on_start;
  std::function<void(const LmEpoch&)> on_epoch;
};

// Trains on context's device with context's seed and writes options.output. Throws
// core::OptionError, core::FileError (unreadable text, too few documents, a file that is not a
// training state), train::DivergenceError.
LmTrainingResult run_lm_training(LmTrainingOptions options, const core::ExecutionContext& context,
                                 const LmTrainingCallbacks& callbacks = {});

// Which documents `lm eval` scores.
struct LmEvaluationOptions {
  std::vector<std::string> text;  // the files the model was trained on
  std::string split = "heldout";  // heldout | dev | train | all
  bool baselines = false;         // add the n-gram baselines (perplexity_table.h)
};

// The model's perplexity (and the baselines') on one part of its recorded split. Throws
// core::OptionError for an unknown split, core::FileError when the part is empty.
std::vector<PerplexityRow> evaluate_language_model(LanguageModelFile& model,
                                                   const LmEvaluationOptions& options);

}  // namespace nnlab::seq2seq
