// Two ranks of one process group, run as two threads of the test process on a free local port:
// enough to check collectives and what builds on them without starting processes.
#pragma once

#include <functional>

#include "nnlab/train/process_group.h"

namespace nnlab::train::testing {

// Runs body(group) on rank 0 and rank 1 at once and waits for both; a failure in either is
// reported by gtest from that thread.
void run_two_ranks(const std::function<void(ProcessGroup&)>& body);

}  // namespace nnlab::train::testing
