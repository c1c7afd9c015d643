// What every compression pass fine-tunes and tests with: the data, the training options of one
// fine-tuning round, and optionally the process group of a data-parallel run. Pruning steps,
// centroid tuning and distillation all train through fine_tune, so a pass never builds its own
// Trainer, and a multi-process run (every rank taking the same decisions, gradients averaged)
// comes with it.
#pragma once

#include <memory>

#include "nnlab/data/dataset.h"
#include "nnlab/models/classifier.h"
#include "nnlab/train/data_parallel.h"
#include "nnlab/train/process_group.h"
#include "nnlab/train/trainer.h"

namespace nnlab::compress {

struct FineTuning {
  data::TrainTestSplit data;  // trains on data.train, tests on data.test
  // One round's training; epochs 0: no fine-tuning. Round r trains with seed train.seed + r, so
  // that each round draws its own batches.
  train::TrainOptions train;
  // Hooks of every round, after the pass's own (e.g. distillation from a teacher).
  train::TrainHooks hooks;
  // Set when several processes share the work: training is data parallel and testing sharded.
  std::shared_ptr<train::ProcessGroup> group;
  train::DataParallelOptions data_parallel;
};

// Accuracy on the whole test set (each rank its share when distributed), in [0, 1].
double test_accuracy(models::Classifier& model, const FineTuning& tuning);

// tuning.train.epochs of training (nothing when 0) with the pass's hooks and then tuning.hooks,
// seeded with tuning.train.seed + round; data parallel across tuning.group when there is one
// (gradients averaged first, so masks and centroid sums act on the global mean).
void fine_tune(models::Classifier& model, const FineTuning& tuning, int round,
               train::TrainHooks hooks = {});

}  // namespace nnlab::compress
