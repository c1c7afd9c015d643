// Helpers for tests that run the nnlab binary: a scratch folder, a command runner that captures
// stdout, stderr and the exit status, and a small synthetic IDX data set.
#pragma once

#include <string>

namespace nnlab::testing {

struct CommandResult {
  int exit_code = -1;  // -1: killed by a signal (see signal)
  int signal = 0;
  std::string out;
  std::string err;
};

// Runs NNLAB_BINARY with the arguments (a shell-quoted string) and OMP_WAIT_POLICY set.
CommandResult run_nnlab(const std::string& args);

// A fresh, empty folder under the temp dir.
std::string scratch_dir(const std::string& name);

// Writes a learnable 10-class IDX set (28x28, class c lights a block at a class-specific place,
// plus noise) as DIR/{train,t10k}-{images-idx3,labels-idx1}-ubyte.
void write_synthetic_idx(const std::string& dir, int train_count, int test_count, int seed = 0);

// A scratch directory with a small synthetic IDX set (dir/data, 600 train and 100 test images)
// and lenet300 trained on it for `epochs` (dir/d.ckpt); returns the directory.
std::string trained_lenet300(const std::string& name, int epochs);

// Number of lines in text (a trailing newline does not start a new line).
int line_count(const std::string& text);

// The bad-input contract: exit status 1 and exactly one line on stderr that contains
// must_contain (the file or option) and problem (what is wrong; "" to skip that check).
void expect_clean_error(const CommandResult& r, const std::string& must_contain,
                        const std::string& problem = "");

// A file's contents ("" when it cannot be read).
std::string read_text(const std::string& path);

}  // namespace nnlab::testing
