// Training of an attention encoder-decoder: teacher forcing or scheduled sampling, label-smoothed
// cross-entropy plus the attention regularizer lambda * sum_i (tau - sum_t alpha_t^i)^2, gradient
// clipping, Adam whose rate decays when the dev error stops improving or follows a cosine, early
// stopping on dev WER, and the average of the last N epochs' weights (kept when it beats the best
// single epoch on dev).
// After every epoch the whole training state is written so a resumed run continues the run.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "nnlab/seq2seq/decoding/search.h"
#include "nnlab/seq2seq/models/model_file.h"
#include "nnlab/seq2seq/scheduled_sampling.h"
#include "nnlab/text/corpus.h"
#include "nnlab/train/divergence.h"

namespace nnlab::seq2seq {

struct Seq2SeqTrainOptions {
  int epochs = 30;
  std::int64_t batch_size = 64;
  double lr = 1e-3;
  // plateau: the rate is multiplied by lr_decay after lr_patience epochs without a better dev
  // WER; cosine: it falls from lr to 0 over the epochs, step by step (train::cosine_learning_rate).
  std::string lr_schedule = "plateau";
  double lr_decay = 0.5;  // multiply the rate by this after lr_patience epochs without progress
  int lr_patience = 1;
  double min_lr = 1e-5;
  double clip = 5.0;  // maximal gradient norm (0: no clipping)
  double label_smoothing = 0.1;
  double attention_lambda = 0.0;  // weight of the attention regularizer (0: off)
  double attention_tau = 1.0;
  ScheduledSamplingOptions sampling;
  int average_last = 5;    // average the weights of the last N epochs (1: no averaging)
  int patience = 5;        // stop after N epochs without a better dev WER (0: never)
  double max_minutes = 0;  // stop after the epoch that passes this much training time (0: none)
  std::int64_t seed = 0;
  std::int64_t dev_batch_size = 512;
  std::string checkpoint_path;  // the training state after every epoch; empty: none
  bool progress = true;

  void validate() const;  // throws core::OptionError
  nlohmann::json to_json() const;
};

struct Seq2SeqEpoch {
  int epoch = 0;                 // 1-based
  double lr = 0;                 // the rate at the epoch's start
  double teacher_forcing = 1;    // the probability at the epoch's start
  double loss = 0;               // cross-entropy per target token (with label smoothing)
  double attention_penalty = 0;  // the regularizer per sequence (before lambda)
  double dev_wer = 0;
  double dev_per = 0;
  double seconds = 0;
  double examples_per_second = 0;
  nlohmann::json to_json() const;
  static Seq2SeqEpoch from_json(const nlohmann::json& j);
};

struct Seq2SeqTrainResult {
  std::vector<Seq2SeqEpoch> history;  // every epoch, including those before a resume
  double seconds = 0;                 // training time of all epochs (resumed runs included)
  int best_epoch = 0;
  double best_dev_wer = 0;
  double averaged_dev_wer = -1;     // the averaged weights' dev WER (-1: not averaged)
  std::string kept;                 // "averaged" or "epoch N": what the model now holds
  double dev_wer = 0, dev_per = 0;  // of the kept weights
  bool stopped_early = false;
  nlohmann::json to_json() const;
};

// Loss of one batch: label-smoothed cross-entropy over the real target tokens (target_output:
// B x T, padded) plus lambda times the attention regularizer over the real source positions
// (source_mask: B x S bool). Returns {total, cross-entropy, regularizer (undefined when lambda
// is 0)}.
struct BatchLoss {
  torch::Tensor total, cross_entropy, attention_penalty;
};
BatchLoss sequence_loss(const SequenceOutput& output, const torch::Tensor& target_output,
                        const torch::Tensor& source_mask, double label_smoothing,
                        double attention_lambda, double attention_tau);

// A batch's cross-entropy and attention penalty (0 without the regularizer) as numbers, each
// checked by train::check_finite at `step`: what the trainers sum for their metrics, read once.
struct BatchLossValues {
  double cross_entropy = 0, attention_penalty = 0;
};
BatchLossValues checked_values(const BatchLoss& loss, const train::TrainingStep& step);

class Seq2SeqTrainer {
 public:
  Seq2SeqTrainer(SequenceModel& model, Seq2SeqTrainOptions options);
  ~Seq2SeqTrainer();
  // Restores the weights, optimizer and progress written to options.checkpoint_path by an
  // earlier run (options may raise the epoch count). Throws core::FileError.
  void resume(const models::Archive& checkpoint, const std::string& source);
  // Trains on `train` (every target of every entry is an example), evaluating WER and PER on
  // `dev` with greedy search after every epoch.
  Seq2SeqTrainResult fit(const Corpus& train, const Corpus& dev,
                         const std::function<void(const Seq2SeqEpoch&)>& on_epoch = {});

 private:
  struct State;
  SequenceModel& model_;
  Seq2SeqTrainOptions options_;
  std::unique_ptr<State> state_;
};

}  // namespace nnlab::seq2seq
