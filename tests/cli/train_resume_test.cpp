// The must-show of the trainer: killed with SIGKILL mid-training and resumed, a run ends with the
// same weights and accuracy as an uninterrupted run with the same seed.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <torch/torch.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <thread>

#include "cli/cli_test_util.h"
#include "nnlab/models/checkpoint.h"

namespace nnlab::testing {
namespace fs = std::filesystem;

namespace {

int checkpoint_epoch(const std::string& path) {
  if (!fs::exists(path)) return 0;
  try {
    return models::read_checkpoint(path).meta.value("epoch", 0);
  } catch (const std::exception&) {
    return 0;
  }
}

}  // namespace

TEST(TrainResume, SigkillThenResumeEqualsUninterruptedRun) {
  const auto dir = scratch_dir("resume");
  write_synthetic_idx(dir + "/data", 3000, 300, /*seed=*/5);
  const std::string common = "train --arch cnn --data idx:" + dir +
                             "/data --epochs 4 --batch-size 50 --augment --seed 11 --threads 1 -q";

  const auto full = run_nnlab(common + " -o " + dir + "/full.ckpt");
  ASSERT_EQ(full.exit_code, 0) << full.err;

  // The same run, killed with SIGKILL while epoch 3 trains.
  const std::string killed_path = dir + "/killed.ckpt";
  const pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    setenv("OMP_WAIT_POLICY", "PASSIVE", 1);
    const std::string cmd =
        std::string(NNLAB_BINARY) + " " + common + " -o " + killed_path + " > /dev/null 2>&1";
    execl("/bin/sh", "sh", "-c", ("exec " + cmd).c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::minutes(5);
  while (checkpoint_epoch(killed_path) < 2 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  ASSERT_EQ(kill(pid, SIGKILL), 0);
  int status = 0;
  waitpid(pid, &status, 0);
  ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL)
      << "the run ended before it could be killed";
  const int done = checkpoint_epoch(killed_path);
  ASSERT_GE(done, 2);
  ASSERT_LT(done, 4);

  const auto resumed = run_nnlab("train --resume " + killed_path + " --threads 1 -q --json");
  ASSERT_EQ(resumed.exit_code, 0) << resumed.err;

  const auto a = models::read_checkpoint(dir + "/full.ckpt");
  const auto b = models::read_checkpoint(killed_path);
  EXPECT_EQ(b.meta["epoch"].get<int>(), 4);
  ASSERT_EQ(a.state.size(), b.state.size());
  for (size_t i = 0; i < a.state.size(); ++i) {
    ASSERT_EQ(a.state[i].first, b.state[i].first);
    const auto diff = (a.state[i].second.to(torch::kDouble) - b.state[i].second.to(torch::kDouble))
                          .abs()
                          .max()
                          .item<double>();
    EXPECT_LE(diff, 1e-5) << a.state[i].first;
  }
  const auto acc_a = a.meta["history"].back()["test_accuracy"].get<double>();
  const auto acc_b = b.meta["history"].back()["test_accuracy"].get<double>();
  EXPECT_EQ(acc_a, acc_b);
  EXPECT_GT(acc_a, 0.5) << "the synthetic task should be learnable";
  EXPECT_EQ(b.meta["history"].size(), 4u);
}

}  // namespace nnlab::testing
