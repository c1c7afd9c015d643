#include "cli/cli_test_util.h"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <torch/torch.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "nnlab/data/idx.h"

namespace nnlab::testing {

namespace fs = std::filesystem;

std::string read_text(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

std::string scratch_dir(const std::string& name) {
  // The process id keeps tests that ctest runs in parallel out of each other's folders.
  const auto dir =
      fs::temp_directory_path() / ("nnlab_cli_" + name + "_" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir.string();
}

CommandResult run_nnlab(const std::string& args) {
  static int counter = 0;
  const auto base = fs::temp_directory_path() /
                    ("nnlab_run_" + std::to_string(::getpid()) + "_" + std::to_string(counter++));
  const std::string out = base.string() + ".out", err = base.string() + ".err";
  const std::string command = "OMP_WAIT_POLICY=PASSIVE " + std::string(NNLAB_BINARY) + " " + args +
                              " > " + out + " 2> " + err + " < /dev/null";
  const int status = std::system(command.c_str());
  CommandResult result;
  result.out = read_text(out);
  result.err = read_text(err);
  fs::remove(out);
  fs::remove(err);
  if (WIFEXITED(status)) {
    result.exit_code = WEXITSTATUS(status);
    // The shell reports a child killed by signal s as exit 128 + s.
    if (result.exit_code > 128) {
      result.signal = result.exit_code - 128;
      result.exit_code = -1;
    }
  } else if (WIFSIGNALED(status)) {
    result.signal = WTERMSIG(status);
  }
  return result;
}

void write_synthetic_idx(const std::string& dir, int train_count, int test_count, int seed) {
  fs::create_directories(dir);
  torch::manual_seed(seed);
  auto make = [&](int n, const std::string& prefix) {
    auto labels = torch::randint(0, 10, {n}, torch::kLong);
    auto images = torch::rand({n, 28, 28}) * 0.3;
    const auto l = labels.accessor<std::int64_t, 1>();
    for (int i = 0; i < n; ++i) {
      const auto c = l[i];
      const auto row = (c / 5) * 12 + 2, col = (c % 5) * 5 + 1;
      images[i].slice(0, row, row + 10).slice(1, col, col + 4) += 0.7;
    }
    nnlab::data::write_idx(dir + "/" + prefix + "-images-idx3-ubyte",
                           (images.clamp(0, 1) * 255).round().to(torch::kUInt8));
    nnlab::data::write_idx(dir + "/" + prefix + "-labels-idx1-ubyte", labels.to(torch::kUInt8));
  };
  make(train_count, "train");
  make(test_count, "t10k");
}

std::string trained_lenet300(const std::string& name, int epochs) {
  const auto dir = scratch_dir(name);
  write_synthetic_idx(dir + "/data", 600, 100);
  const auto r = run_nnlab("train --arch lenet300 --data idx:" + dir + "/data --epochs " +
                           std::to_string(epochs) + " -o " + dir + "/d.ckpt -q");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  return dir;
}

int line_count(const std::string& text) {
  int n = 0;
  for (char c : text) n += c == '\n';
  if (!text.empty() && text.back() != '\n') ++n;
  return n;
}

void expect_clean_error(const CommandResult& r, const std::string& must_contain,
                        const std::string& problem) {
  EXPECT_EQ(r.exit_code, 1) << "signal " << r.signal << "\n" << r.err;
  EXPECT_EQ(line_count(r.err), 1) << r.err;
  EXPECT_NE(r.err.find(must_contain), std::string::npos) << r.err;
  EXPECT_NE(r.err.find(problem), std::string::npos) << r.err;
}

}  // namespace nnlab::testing
