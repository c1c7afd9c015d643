// nnlab launch: N copies of a command, each told its rank, the world size and the rendezvous
// address as torchrun tells them; the first failing worker's status is launch's. Distributed
// training through it is tests/cli/distributed_test.cpp.
#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include "cli/cli_test_util.h"

namespace nnlab::testing {

TEST(LaunchCommand, EveryWorkerGetsItsRankAndTheWorldSize) {
  const auto dir = scratch_dir("launch_cli");
  const auto r = run_nnlab(
      "launch --nproc 3 --master-port 29555 -- sh -c "
      "'echo $RANK $LOCAL_RANK $WORLD_SIZE $MASTER_ADDR $MASTER_PORT > " +
      dir + "/rank_$RANK'");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  for (int rank = 0; rank < 3; ++rank) {
    const auto r_ = std::to_string(rank);
    EXPECT_EQ(read_text(dir + "/rank_" + r_), r_ + " " + r_ + " 3 127.0.0.1 29555\n");
  }
}

TEST(LaunchCommand, AFailingWorkerGivesItsStatus) {
  const auto r = run_nnlab("launch --nproc 2 -- sh -c 'exit $((RANK + 3))'");
  EXPECT_TRUE(r.exit_code == 3 || r.exit_code == 4) << r.exit_code << " " << r.err;
  const auto ok = run_nnlab("launch --nproc 2 -- true");
  EXPECT_EQ(ok.exit_code, 0) << ok.err;
  expect_clean_error(run_nnlab("launch --nproc 2"), "command");
}

}  // namespace nnlab::testing
