// What the compression commands (prune, factorize, convert) share: the checkpoint they start
// from, the data they fine-tune and test on, the fine-tuning flags, and the checkpoint they
// write (the original's metadata, without its training state, plus the pass's own section).
#pragma once

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>
#include <string>

#include "cli_common.h"
#include "nnlab/data/dataset.h"
#include "nnlab/models/checkpoint.h"
#include "nnlab/train/trainer.h"

namespace nnlab::app {

struct CompressionFlags {
  std::string model;
  std::string data;  // default: the checkpoint's
  std::string output;
  train::TrainOptions finetune;
  std::int64_t limit = 0;
  std::int64_t latency_batch = 64;
};

// --model, --data, --output, --finetune-epochs (default `epochs`), --lr, --optimizer,
// --batch-size, --limit, --latency-batch.
void add_compression_flags(CLI::App& command, CompressionFlags& flags, int epochs);

struct CompressionInput {
  models::Checkpoint checkpoint;
  models::Classifier model;
  data::TrainTestSplit split;
};

// Checks --model and --output, reads the checkpoint, rebuilds the model on the device and
// loads the data. Sets flags.finetune's seed and progress from the global options.
CompressionInput load_for_compression(CompressionFlags& flags, const GlobalOptions& global,
                                      const torch::Device& device);

// True when --output names an .nnz file (by its extension).
bool output_is_nnz(const CompressionFlags& flags);

double test_accuracy(models::Classifier& model, const CompressionInput& input,
                     const CompressionFlags& flags);

// flags.finetune.epochs of training (none when 0), seeded with seed + round.
void finetune(models::Classifier& model, const CompressionInput& input,
              const CompressionFlags& flags, int round, train::TrainHooks hooks = {});

// A checkpoint of `model` with the input's metadata (less its training state) and
// meta[key] = section; not yet saved.
models::Checkpoint compressed_checkpoint(const models::Classifier& model,
                                         const CompressionInput& input, const std::string& key,
                                         nlohmann::json section);

// Saves that checkpoint to flags.output; returns the section with "checkpoint" added (the
// command's --json result).
nlohmann::json save_compressed(const models::Classifier& model, const CompressionInput& input,
                               const CompressionFlags& flags, const std::string& key,
                               const nlohmann::json& section);

}  // namespace nnlab::app
