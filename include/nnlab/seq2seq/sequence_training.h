// A whole training run of an attention encoder-decoder (what `nnlab g2p train` and `nnlab seq2seq
// train` do): the dev set carved from the training entries when none is given, vocabularies built
// from the training side (or model and progress taken from a training state), Seq2SeqTrainer's
// epochs, and the model file written atomically with where its data came from and how it was
// trained.
#pragma once

#include <cstdint>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>

#include "nnlab/seq2seq/models/model_file.h"
#include "nnlab/seq2seq/seq2seq_trainer.h"
#include "nnlab/text/corpus.h"

namespace nnlab::core {
struct ExecutionContext;
}

namespace nnlab::seq2seq {

// How a dev set is carved from the training entries when no dev file is given.
struct DevSplitOptions {
  double fraction = 0.05;  // of the entries, in (0, 1)
  std::uint64_t seed = 0;
};

// {train, dev}: about options.fraction of `all`'s entries (by entry, drawn with options.seed) go
// to dev. Throws core::OptionError for a fraction outside (0, 1) and core::FileError (naming
// `source`) when either side would be empty.
std::pair<Corpus, Corpus> carve_dev(const Corpus& all, const DevSplitOptions& options,
                                    const std::string& source);

// A fresh model for `task`: source and target vocabularies built from train's sources and every
// one of their targets, and a newly initialized network on `device`. Throws core::OptionError for
// invalid model options.
SequenceModel create_sequence_model(const std::string& task, const ModelOptions& model,
                                    Tokenization source_tokens, Tokenization target_tokens,
                                    const Corpus& train, torch::Device device);

struct SequenceTrainingOptions {
  std::string task = "seq2seq";  // the model file's task: "g2p" | "seq2seq"
  ModelOptions model;            // ignored when resuming
  // The recipe; its seed is replaced by the execution context's.
  Seq2SeqTrainOptions training;
  Tokenization source_tokens = Tokenization::kCharacters;  // ignored when resuming
  Tokenization target_tokens = Tokenization::kWords;
  std::string output;  // the model file (required)
  std::string resume;  // a training state written to training.checkpoint_path; empty: a new model
  nlohmann::json data =
      nlohmann::json::object();  // recorded in the file: where train and dev came from
};

struct SequenceTrainingResult {
  SequenceModel model;  // the kept weights, as written to options.output
  Seq2SeqTrainResult training;
  std::int64_t parameters = 0;
  // training's JSON with "output" and "parameters".
  nlohmann::json to_json(const std::string& output) const;
};

// What a caller may watch: the model about to be trained (after a resume restored it) and each
// epoch.
struct SequenceTrainingCallbacks {
  std::function<void(const SequenceModel&)> on_start;
  std::function<void(const Seq2SeqEpoch&)> on_epoch;
};

// Trains on train (dev chooses the kept epoch), on context's device with context's seed, and
// writes options.output. Throws core::OptionError, core::FileError (a bad training state),
// train::DivergenceError.
SequenceTrainingResult run_sequence_training(const SequenceTrainingOptions& options,
                                             const Corpus& train, const Corpus& dev,
                                             const core::ExecutionContext& context,
                                             const SequenceTrainingCallbacks& callbacks = {});

}  // namespace nnlab::seq2seq
