// Flags of the commands that train data parallel across processes (train and the fine-tuning
// inside the compression commands).
#pragma once

#include <CLI/CLI.hpp>

#include "nnlab/train/data_parallel.h"

namespace nnlab::app {

// --no-sync-bn: each rank's BatchNorm statistics from its own shard (averaged before evaluation
// and save) instead of the global batch's.
void add_sync_bn_flag(CLI::App& command, train::DataParallelOptions& options);

}  // namespace nnlab::app
