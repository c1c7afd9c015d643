// Test entry point: the runtime the CLI would set up (all cores, fixed seed).
#include <gtest/gtest.h>

#include "nnlab/core/runtime.h"

int main(int argc, char** argv) {
  testing::InitGoogleTest(&argc, argv);
  nnlab::core::init_runtime({/*threads=*/0, /*seed=*/0, /*device=*/"cpu"});
  return RUN_ALL_TESTS();
}
