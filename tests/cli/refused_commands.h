// The bad-input check the compression commands' tests share: each command line fails with exit
// code 1 and one line on stderr, and leaves nothing at the output it was given.
#pragma once

#include <gtest/gtest.h>

#include <filesystem>
#include <string>
#include <vector>

#include "cli/cli_test_util.h"

namespace nnlab::testing {

// Runs each of `commands` with " -o <output> -q".
inline void expect_refused_without_output(const std::vector<std::string>& commands,
                                          const std::string& output) {
  for (const auto& command : commands) {
    const auto r = run_nnlab(command + " -o " + output + " -q");
    EXPECT_EQ(r.exit_code, 1) << command;
    EXPECT_EQ(line_count(r.err), 1) << command << ": " << r.err;
  }
  EXPECT_FALSE(std::filesystem::exists(output));
}

}  // namespace nnlab::testing
