// Training of an RNN language model: documents in length-bucketed batches, each read from a fresh
// state in chunks of `bptt` tokens with the state carried between chunks (truncated
// back-propagation through time), cross-entropy on the next token, gradient clipping, Adam whose
// rate decays when dev perplexity stops improving, early stopping, and the best epoch's weights
// kept. After every epoch the whole training state is written so a resumed run continues the run
// exactly.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "nnlab/models/archive.h"
#include "nnlab/seq2seq/models/language_model_file.h"

namespace nnlab::seq2seq {

struct LmTrainOptions {
  int epochs = 30;
  std::int64_t batch_size = 32;  // documents per batch
  std::int64_t bptt = 100;       // tokens per back-propagation window
  double lr = 3e-3;
  double lr_decay = 0.7;  // multiply the rate by this after an epoch without progress on dev
  double min_lr = 1e-5;
  double clip = 1.0;  // maximal gradient norm (0: no clipping)
  int patience = 8;   // stop after N epochs without a better dev perplexity (0: never)
  std::int64_t seed = 0;
  std::string checkpoint_path;  // the training state after every epoch; empty: none
  bool progress = true;

  void validate() const;  // throws core::OptionError
  nlohmann::json to_json() const;
};

struct LmEpoch {
  int epoch = 0;  // 1-based
  double lr = 0;
  double loss = 0;  // training cross-entropy per token, nats
  double dev_perplexity = 0;
  double seconds = 0;
  double tokens_per_second = 0;
  nlohmann::json to_json() const;
  static LmEpoch from_json(const nlohmann::json& j);
};

struct LmTrainResult {
  std::vector<LmEpoch> history;  // every epoch, including those before a resume
  double seconds = 0;
  int best_epoch = 0;
  double best_dev_perplexity = 0;  // the kept weights'
  bool stopped_early = false;
  nlohmann::json to_json() const;
};

class LmTrainer {
 public:
  LmTrainer(LanguageModelFile& model, LmTrainOptions options);
  ~LmTrainer();
  // Restores weights, optimizer and progress from a state written to options.checkpoint_path.
  // Throws core::FileError.
  void resume(const models::Archive& checkpoint, const std::string& source);
  // train and dev: documents as token ids of the model's vocabulary.
  LmTrainResult fit(const std::vector<std::vector<std::int64_t>>& train,
                    const std::vector<std::vector<std::int64_t>>& dev,
                    const std::function<void(const LmEpoch&)>& on_epoch = {});

 private:
  struct State;
  LanguageModelFile& model_;
  LmTrainOptions options_;
  std::unique_ptr<State> state_;
};

}  // namespace nnlab::seq2seq
