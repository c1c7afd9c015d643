// Data-parallel training over a ProcessGroup, as torch.nn.parallel.DistributedDataParallel does
// it: every rank starts from rank 0's weights, takes its share of each global batch (the Trainer's
// TrainOptions::shard_rank / shard_count), and after every backward pass the gradients are summed
// across ranks in flat buckets and divided by the world size — so N processes with 1/N of the
// batch each take the same steps as one process with the whole batch. Epoch metrics are summed
// across ranks too. BatchNorm is synchronized by default (models/batch_norm.h: the batch
// statistics are those of the global batch), so the running statistics, the checkpoint and the
// sharded test are those one process computes; without it each rank's running statistics drift
// on its own shard, and they are averaged across ranks before every evaluation and save.
#pragma once

#include <torch/nn/module.h>

#include <memory>

#include "nnlab/train/process_group.h"
#include "nnlab/train/trainer.h"

namespace nnlab::train {

struct DataParallelOptions {
  bool sync_batch_norm = true;  // false: per-rank statistics, averaged before evaluation/save
};

// Copies rank 0's parameters and buffers into every rank's module.
void broadcast_state(torch::nn::Module& module, ProcessGroup& group);

// Makes every rank's module the same (broadcast_state) and, with options.sync_batch_norm, wires
// its BatchNorm layers to the group. Call on every rank before training.
void prepare_data_parallel(torch::nn::Module& module, std::shared_ptr<ProcessGroup> group,
                           const DataParallelOptions& options = {});

// Replaces every rank's floating-point buffers (BatchNorm running statistics) by their mean
// over the ranks.
void average_buffers(torch::nn::Module& module, ProcessGroup& group);

// Makes `options` this rank's part of a data-parallel run: its shard of every global batch and,
// on ranks other than 0, no progress bar, checkpoint or metrics file (rank 0 writes those).
void shard_training(TrainOptions& options, const ProcessGroup& group);

// after_backward: all-reduce the mean gradient; reduce_sums: add up the epoch's counts;
// evaluate: each rank tests its share of the test set, the results summed. Without
// options.sync_batch_norm, evaluate and after_epoch first average the buffers.
TrainHooks data_parallel_hooks(std::shared_ptr<ProcessGroup> group,
                               const DataParallelOptions& options = {});

}  // namespace nnlab::train
