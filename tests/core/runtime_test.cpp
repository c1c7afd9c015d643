#include "nnlab/core/runtime.h"

#include <ATen/Parallel.h>
#include <gtest/gtest.h>
#include <torch/cuda.h>

#include "nnlab/core/error.h"

namespace nnlab::core {

TEST(Runtime, ThreadsDefaultToAllCores) {
  init_runtime({/*threads=*/0, /*seed=*/1, /*device=*/"cpu"});
  EXPECT_EQ(at::get_num_threads(), available_cores());
  init_runtime({/*threads=*/1, /*seed=*/1, /*device=*/"cpu"});
  EXPECT_EQ(at::get_num_threads(), 1);
  init_runtime({/*threads=*/0, /*seed=*/0, /*device=*/"cpu"});
}

TEST(Runtime, SeedMakesRandomnessRepeatable) {
  init_runtime({0, 42, "cpu"});
  const auto a = torch::rand({8});
  init_runtime({0, 42, "cpu"});
  const auto b = torch::rand({8});
  EXPECT_TRUE(torch::equal(a, b));
}

TEST(Runtime, ParsesDevices) {
  EXPECT_EQ(parse_device("cpu"), torch::Device(torch::kCPU));
  const auto automatic = parse_device("auto");
  EXPECT_TRUE(automatic.is_cpu() || automatic.is_cuda());
  EXPECT_THROW(parse_device("gpu"), OptionError);
  EXPECT_THROW(parse_device("cuda:x"), OptionError);
  EXPECT_THROW(init_runtime({-1, 0, "cpu"}), OptionError);
  if (!torch::cuda::is_available()) {
    try {
      parse_device("cuda:0");
      FAIL() << "expected an error";
    } catch (const OptionError& e) {
      EXPECT_EQ(e.option(), "RuntimeOptions.device");
      EXPECT_NE(std::string(e.what()).find("RuntimeOptions.device: "), std::string::npos);
    }
  }
}

}  // namespace nnlab::core
