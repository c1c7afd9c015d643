// Supervised training of a classifier with per-epoch checkpoints that resume exactly: the
// checkpoint holds the model, the optimizer state, the epoch and the metric history, and every
// random choice of epoch e (data order, augmentation, dropout) is drawn from generators seeded by
// (seed, e) — so a run killed after epoch e and resumed equals the uninterrupted run.
#pragma once

#include <torch/types.h>

#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "nnlab/data/dataset.h"
#include "nnlab/models/checkpoint.h"
#include "nnlab/models/classifier.h"
#include "nnlab/train/evaluate.h"

namespace torch::optim {
class Optimizer;
}

namespace nnlab::train {

class TrainingLoop;

struct TrainOptions {
  int epochs = 10;
  std::int64_t batch_size = 64;
  std::string optimizer = "adam";  // sgd | adam | adamw
  double lr = 1e-3;
  double momentum = 0.9;  // sgd
  bool nesterov = false;  // sgd
  double weight_decay = 0.0;
  std::string schedule = "none";  // none | step | cosine
  int step_size = 10;             // step: epochs between decays
  double gamma = 0.1;             // step: decay factor
  double label_smoothing = 0.0;
  bool augment = false;  // random shift by up to 2 pixels (zero padding) + horizontal flip
  std::int64_t seed = 0;
  std::int64_t eval_batch_size = 256;
  std::string checkpoint_path;  // written atomically after every epoch; empty: none
  std::string metrics_path;     // JSON lines, one per epoch, rewritten atomically; empty: none
  // The provenance block (core::provenance) every metrics line carries under "provenance": the
  // run that wrote the file (a resumed run rewrites it whole). Null: none. Not training state.
  nlohmann::json metrics_provenance;
  bool progress = true;
  // Data parallelism (train/data_parallel.h): this process trains on part shard_rank of
  // shard_count equal parts of every batch; batch_size stays the global batch.
  int shard_rank = 0;
  int shard_count = 1;
};

struct EpochMetrics {
  int epoch = 0;  // 1-based
  double lr = 0;
  double train_loss = 0;
  double train_accuracy = 0;
  double test_loss = 0;
  double test_accuracy = 0;
  double seconds = 0;
  double images_per_second = 0;
  // Fields that hooks add (e.g. robust accuracy); saved with the rest and restored on resume.
  nlohmann::json extra = nlohmann::json::object();
  nlohmann::json to_json() const;
  static EpochMetrics from_json(const nlohmann::json& j);
};

// Extension points for algorithms built on the trainer (adversarial training, distillation,
// pruning masks, data parallelism). Each is optional.
struct TrainHooks {
  // Called first for each batch with its rows in the training set (e.g. per-sample caches).
  std::function<void(const torch::Tensor& index)> before_batch;
  // Replaces the batch before the forward pass (e.g. adversarial examples).
  std::function<torch::Tensor(models::Classifier&, const torch::Tensor& images,
                              const torch::Tensor& labels)>
      transform_batch;
  // Replaces the loss (e.g. distillation); default: cross-entropy with label smoothing.
  std::function<torch::Tensor(const torch::Tensor& logits, const torch::Tensor& labels,
                              const torch::Tensor& images)>
      loss;
  std::function<void(models::Classifier&)> after_backward;  // e.g. gradient all-reduce, masking
  std::function<void(models::Classifier&)> after_step;      // e.g. re-apply pruning masks
  // Called after each epoch's evaluation, before the checkpoint: may add fields to
  // metrics.extra, change the model (e.g. roll back to a better epoch) and return false to stop
  // training after this epoch (early stopping).
  std::function<bool(models::Classifier&, EpochMetrics&)> after_epoch;
  // Called after each epoch with its metrics; may add fields to the checkpoint's meta.
  std::function<void(const EpochMetrics&, models::Checkpoint&)> on_epoch;
  // Turns this process's training sums {loss, correct, seen} into the global ones (e.g. an
  // all-reduce across data-parallel ranks).
  std::function<void(std::vector<double>&)> reduce_sums;
  // Replaces the end-of-epoch test evaluation (e.g. each data-parallel rank evaluates its share
  // and the results are summed); default: train::evaluate on the whole test set.
  std::function<EvalResult(models::Classifier&, const data::Dataset&, const EvalOptions&)> evaluate;
};

// Both sets of hooks: where both set one, the first's runs before the second's (after_epoch: both
// run, training stops if either asks). Throws std::invalid_argument when both replace the batch
// or both replace the loss: those cannot be chained.
TrainHooks combine_hooks(TrainHooks first, TrainHooks second);

struct TrainResult {
  std::vector<EpochMetrics> history;  // every epoch, including those before a resume
  double seconds = 0;                 // wall time of this invocation
  bool stopped_early = false;         // after_epoch asked to stop before options.epochs
};

class Trainer {
 public:
  Trainer(models::Classifier& model, TrainOptions options, TrainHooks hooks = {});
  ~Trainer();

  // Restores model, optimizer, epoch and history from a checkpoint written by this trainer.
  // The options' epochs may be raised to continue further.
  void resume(const models::Checkpoint& checkpoint, const std::string& source);

  // Trains from the next epoch up to options.epochs, evaluating on data.test after each epoch.
  // Throws DivergenceError (train/divergence.h) when a loss is NaN or infinite; the checkpoint
  // of the last completed epoch is then left as it was.
  TrainResult fit(const data::TrainTestSplit& data);

  int completed_epochs() const;
  const TrainOptions& options() const { return options_; }
  // Options as stored in (and restored from) checkpoints.
  static nlohmann::json options_to_json(const TrainOptions& options);
  static TrainOptions options_from_json(const nlohmann::json& j);

 private:
  void make_optimizer();
  std::string write_checkpoint();  // returns the file written ("": none)
  void write_metrics() const;

  models::Classifier& model_;
  TrainOptions options_;
  TrainHooks hooks_;
  std::unique_ptr<torch::optim::Optimizer> optimizer_;
  std::unique_ptr<TrainingLoop> loop_;  // the epoch counter and the last good checkpoint
  std::vector<EpochMetrics> history_;
};

// Random shift of up to `pad` pixels (zero padding) and a horizontal flip with probability 1/2,
// drawn from torch's default generator.
torch::Tensor augment_batch(const torch::Tensor& images, std::int64_t pad = 2);

}  // namespace nnlab::train
