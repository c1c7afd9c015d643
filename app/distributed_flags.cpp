#include "distributed_flags.h"

namespace nnlab::app {

void add_sync_bn_flag(CLI::App& command, train::DataParallelOptions& options) {
  command.add_flag_callback(
      "--no-sync-bn", [&options] { options.sync_batch_norm = false; },
      "several processes: BatchNorm statistics of each process's share of the batch (averaged "
      "before every evaluation and save) instead of the whole batch's");
}

}  // namespace nnlab::app
