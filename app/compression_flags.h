// What the compression commands (prune, factorize, convert, quantize, compress) share: the
// checkpoint they start from, the data they fine-tune and test on (compress::FineTuning), the
// fine-tuning flags, "LAYER=VALUE" lists, and the checkpoint they write (the original's metadata,
// without its training state, plus the pass's own section).
#pragma once

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

#include "cli_common.h"
#include "distributed_flags.h"
#include "nnlab/compress/fine_tuning.h"
#include "nnlab/models/checkpoint.h"

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
  // The data, flags.finetune (seed and progress from the global options) and, when launched as
  // one of several processes (RANK, WORLD_SIZE, ...), the process group: fine-tuning is data
  // parallel and testing sharded, every rank takes the same pruning and clustering decisions
  // (the weights agree bit for bit), rank 0 alone writes and reports.
  compress::FineTuning tuning;

  bool reports() const { return !tuning.group || tuning.group->rank() == 0; }
};

// Checks --model and --output, reads the checkpoint, rebuilds the model on the context's device and
// loads the data; joins the process group when the environment names one. Sets
// flags.finetune's seed and progress from the global options.
CompressionInput load_for_compression(CompressionFlags& flags, const GlobalOptions& global,
                                      const core::ExecutionContext& context);

// True when --output names an .nnz file (by its extension).
bool output_is_nnz(const CompressionFlags& flags);

// "fc1=0.08,conv2=0.2" -> {{"fc1.weight", 0.08}, {"conv2.weight", 0.2}}; every value must
// pass `valid` (`expected` says what it should be), every layer must name one of the `prunable`
// weights (by the weight's name or its layer's). Errors name `flag`.
std::vector<std::pair<std::string, double>> parse_layer_values(
    const std::string& flag, const std::string& text, const std::string& expected,
    bool (*valid)(double), const std::vector<std::string>& prunable);

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
