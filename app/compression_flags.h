// What the compression commands (prune, factorize, convert) share: the checkpoint they start
// from, the data they fine-tune and test on, the fine-tuning flags, and the checkpoint they
// write (the original's metadata, without its training state, plus the pass's own section).
#pragma once

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>
#include <string>

#include "cli_common.h"
#include "distributed_flags.h"
#include "nnlab/data/dataset.h"
#include "nnlab/models/checkpoint.h"
#include "nnlab/train/process_group.h"
#include "nnlab/train/trainer.h"

namespace nnlab::app {

struct CompressionFlags {
  std::string model;
  std::string data;  // default: the checkpoint's
  std::string output;
  train::TrainOptions finetune;
  std::int64_t limit = 0;
  std::int64_t latency_batch = 64;
  train::DataParallelOptions data_parallel;  // multi-process fine-tuning
};

// --model, --data, --output, --finetune-epochs (default `epochs`), --lr, --optimizer,
// --batch-size, --limit, --latency-batch, --no-sync-bn.
void add_compression_flags(CLI::App& command, CompressionFlags& flags, int epochs);

struct CompressionInput {
  models::Checkpoint checkpoint;
  models::Classifier model;
  data::TrainTestSplit split;
  // Set when launched as one of several processes (RANK, WORLD_SIZE, ...): fine-tuning is data
  // parallel and testing sharded, every rank takes the same pruning and clustering decisions
  // (the weights agree bit for bit), rank 0 alone writes and reports.
  std::shared_ptr<train::ProcessGroup> group;

  bool reports() const { return !group || group->rank() == 0; }
};

// Checks --model and --output, reads the checkpoint, rebuilds the model on the context's device and
// loads the data; joins the process group when the environment names one. Sets
// flags.finetune's seed and progress from the global options.
CompressionInput load_for_compression(CompressionFlags& flags, const GlobalOptions& global,
                                      const core::ExecutionContext& context);

// True when --output names an .nnz file (by its extension).
bool output_is_nnz(const CompressionFlags& flags);

// On the whole test set (each rank its share when distributed).
double test_accuracy(models::Classifier& model, const CompressionInput& input,
                     const CompressionFlags& flags);

// flags.finetune.epochs of training (none when 0), seeded with seed + round; data parallel
// across input.group when there is one.
void finetune(models::Classifier& model, const CompressionInput& input,
              const CompressionFlags& flags, int round, train::TrainHooks hooks = {});

// A checkpoint of `model` with the input's metadata (less its training state) and
// meta[key] = section; not yet saved.
models::Checkpoint compressed_checkpoint(const models::Classifier& model,
                                         const CompressionInput& input, const std::string& key,
                                         nlohmann::json section);

// Saves that checkpoint to flags.output (rank 0 only); returns the section with "checkpoint" added
// (the command's --json result).
nlohmann::json save_compressed(const models::Classifier& model, const CompressionInput& input,
                               const CompressionFlags& flags, const std::string& key,
                               const nlohmann::json& section);

}  // namespace nnlab::app
