// The one epoch loop of every trainer (classifier, seq2seq, language model, caption). The loop owns
// what all of them share: the epoch counter and its resumable state, each epoch's seeds, the
// learning-rate schedule (constant, step, cosine, decay on plateau), the optimizer step (zero_grad,
// backward, gradient clipping checked for divergence, step), the best epoch, early stopping with a
// patience, the progress bar and the end-of-epoch save. A trainer keeps only its loss, its batches,
// its evaluation and its file format, given to the loop as hooks (LoopHooks).
#pragma once

#include <torch/types.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <limits>
#include <string>
#include <string_view>
#include <vector>

#include "nnlab/train/divergence.h"

namespace torch::optim {
class Optimizer;
}

namespace nnlab::train {

// The seeds of one epoch: `data` for its data order (a generator of the trainer's), `torch` for
// torch's default generator (dropout, augmentation, scheduled sampling), which the loop seeds.
struct EpochSeeds {
  std::uint64_t data = 0;
  std::uint64_t torch = 0;
};

// Seeds distinct per (seed, epoch) and independent of how the run got there (fresh or resumed):
// core::mix_seed streams 1 (data) and 2 (torch).
EpochSeeds mixed_epoch_seeds(std::int64_t seed, int epoch);

// The starting learning rate every trainer validates: a finite number > 0 (a negative rate climbs
// the loss; inf or NaN makes the first step's weights NaN). Throws core::OptionError under
// `option`, the caller's own field ("TrainOptions.lr", "Seq2SeqTrainOptions.lr", ...).
void check_learning_rate(double lr, const std::string& option);

struct LrSchedule {
  // constant: lr, or the rate a resumed state holds. step: lr * gamma^((epoch - 1) / step_size).
  // cosine: train::cosine_learning_rate over the epochs, set at each epoch or at each batch.
  // plateau: the rate is multiplied by decay (not below min_lr) after every `patience` epochs
  // without a better metric.
  std::string kind = "constant";  // constant | step | cosine | plateau
  double lr = 1e-3;
  int step_size = 10;  // step
  double gamma = 0.1;  // step
  bool cosine_per_batch = false;
  double decay = 0.5;  // plateau
  int patience = 1;    // plateau
  double min_lr = 0;   // plateau
};

struct LoopOptions {
  int epochs = 1;
  std::int64_t seed = 0;  // epoch e's seeds: mixed_epoch_seeds(seed, e)
  LrSchedule schedule;
  double clip = 0;  // maximal gradient norm (0: no clipping and no norm check)
  // Early stopping: stop after this many epochs without a better metric (0: never).
  int patience = 0;
  // Stop after the epoch that brings the training time to this many seconds (0: no limit).
  double max_seconds = 0;
  // When set, the epoch's metric is checked by check_finite under this name.
  std::string metric_name;
  bool progress = true;
  std::string progress_unit = "batch";
};

// What a resumed run restores (each trainer in its own file format) to continue exactly.
struct LoopState {
  int completed = 0;   // epochs done
  double lr = 0;       // the rate of the last epoch (plateau: decayed; the next one starts there)
  double seconds = 0;  // training time of all epochs, those before a resume included
  int best_epoch = 0;
  double best_metric = std::numeric_limits<double>::infinity();  // lower is better
  int bad_epochs = 0;                                            // epochs since the best one
  std::string last_checkpoint;  // the last good training state on disk: written or resumed from
};

// The epoch being trained, as the hooks see it.
struct Epoch {
  int number = 0;  // 1-based
  double lr = 0;   // the rate at its start
  EpochSeeds seeds;
  std::chrono::steady_clock::time_point start;  // before its seeds were set
  std::string_view last_checkpoint;
  double seconds() const;  // since start
  TrainingStep step(std::int64_t batch) const { return {number, batch, lr, last_checkpoint}; }
};

class TrainingLoop;

// One batch, as the loop hands it to the trainer's train_batch hook.
class Batch {
 public:
  std::int64_t index = 0;  // 0-based within the epoch
  TrainingStep step;       // for check_finite: epoch, 1-based batch, the step's rate, checkpoint

  // One optimizer step on `loss`: zero_grad, backward, the after_backward hook, read (the values
  // the trainer sums for its metrics, read and checked before clipping so that a NaN loss is named
  // as such), clip_gradients (its norm checked), step, the after_step hook. Called once per batch,
  // or once per chunk (truncated back-propagation through time).
  void optimize(const torch::Tensor& loss, const std::function<void()>& read = {});

 private:
  friend class TrainingLoop;
  explicit Batch(TrainingLoop& loop) : loop_(loop) {}
  TrainingLoop& loop_;
};

// What a train_batch hook reports, for the progress bar.
struct BatchCounts {
  double loss_sum = 0;        // the batch's loss summed over its units of loss
  double loss_weight = 0;     // those units (tokens, images); the bar shows sum / weight
  std::int64_t progress = 1;  // steps of the bar (LoopOptions::progress_unit)
};

// An epoch's batches, as the begin_epoch hook prepared them.
struct EpochPlan {
  std::int64_t batches = 0;
  std::int64_t progress_total = 0;  // the bar's total (0: the batches)
};

// How an epoch ends, as the evaluate hook reports it.
struct EpochEnd {
  double metric = 0;   // lower is better: best epoch, plateau decay, early stopping
  double seconds = 0;  // the epoch's time as the trainer recorded it (Epoch::seconds())
  bool stop = false;   // stop after this epoch
};

struct LoopHooks {
  // Prepares the epoch's batches (its data order from epoch.seeds.data) and puts the model in
  // training mode.
  std::function<EpochPlan(const Epoch& epoch)> begin_epoch;
  // Trains on one batch: its loss, then batch.optimize(loss, read) once or more.
  std::function<BatchCounts(Batch& batch)> train_batch;
  // After the batches: the epoch's metrics (its records kept by the trainer).
  std::function<EpochEnd(const Epoch& epoch)> evaluate;
  // The epoch is the best so far (e.g. keep its weights).
  std::function<void()> on_best;
  // Writes the training state after every epoch; returns the file written ("": none).
  std::function<std::string(const LoopState& state)> save;
  // After the save (e.g. a caller's per-epoch callback).
  std::function<void(const Epoch& epoch)> after_epoch;
  // Part of the optimizer step (Batch::optimize), e.g. gradient all-reduce, pruning masks.
  std::function<void()> after_backward;
  std::function<void()> after_step;
};

class TrainingLoop {
 public:
  // The optimizer of `parameters` (clipped together); throws std::invalid_argument for a bad
  // schedule.
  TrainingLoop(torch::optim::Optimizer& optimizer, std::vector<torch::Tensor> parameters,
               LoopOptions options);

  // Restored by a resumed trainer before run.
  LoopState& state() { return state_; }
  const LoopState& state() const { return state_; }
  const LoopOptions& options() const { return options_; }

  // Trains epochs state().completed + 1 .. options.epochs. Returns true when it stopped early
  // (a hook, the patience or the time limit) before options.epochs. Throws DivergenceError.
  bool run(const LoopHooks& hooks);

 private:
  friend class Batch;
  double epoch_lr(int epoch) const;
  double batch_lr(const Epoch& epoch, std::int64_t batch, std::int64_t batches) const;
  // The best epoch, plateau decay and early stopping; returns true to stop.
  bool end_epoch(const Epoch& epoch, const EpochEnd& end, const LoopHooks& hooks);

  torch::optim::Optimizer& optimizer_;
  std::vector<torch::Tensor> parameters_;
  LoopOptions options_;
  LoopState state_;
  const LoopHooks* hooks_ = nullptr;  // during run
};

}  // namespace nnlab::train
