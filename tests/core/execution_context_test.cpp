#include "nnlab/core/execution_context.h"

#include <ATen/Parallel.h>
#include <gtest/gtest.h>
#include <torch/torch.h>
#include <torch/version.h>

#include <nlohmann/json.hpp>

#include "nnlab/core/error.h"
#include "nnlab/core/format_version.h"
#include "nnlab/core/memory.h"

namespace nnlab::core {

namespace {

// test_main's setting, restored after each test that changes it.
void restore_runtime() {
  init_runtime({/*threads=*/0, /*seed=*/0, /*device=*/"cpu"});
}

}  // namespace

TEST(ExecutionContext, DecidesEverySettingOnceFromTheFlags) {
  const auto context = init_execution_context({/*threads=*/1, /*seed=*/7, /*device=*/"cpu"});
  EXPECT_EQ(context.device, torch::Device(torch::kCPU));
  EXPECT_EQ(context.precision, Precision::kFp32);  // the default
  EXPECT_EQ(context.threads, 1);
  EXPECT_EQ(at::get_num_threads(), 1);
  EXPECT_EQ(context.seed, 7u);
  // The seed was applied: the same draws as a generator seeded by hand.
  const auto drawn = torch::rand({4});
  torch::manual_seed(7);
  EXPECT_TRUE(torch::equal(drawn, torch::rand({4})));

  const auto all = init_execution_context({/*threads=*/0, /*seed=*/0, /*device=*/"cpu"});
  EXPECT_EQ(all.threads, available_cores());
  restore_runtime();
}

TEST(ExecutionContext, ResolvesPrecision) {
  EXPECT_EQ(resolve_precision("fp32", true), Precision::kFp32);
  EXPECT_EQ(resolve_precision("bf16", false), Precision::kBf16);  // emulated, but asked for
  // auto: bf16 exactly where the hardware multiplies bf16 (the detection is injected).
  EXPECT_EQ(resolve_precision("auto", true), Precision::kBf16);
  EXPECT_EQ(resolve_precision("auto", false), Precision::kFp32);
  EXPECT_EQ(to_string(Precision::kFp32), "fp32");
  EXPECT_EQ(to_string(Precision::kBf16), "bf16");
  try {
    resolve_precision("fp16", true);
    FAIL() << "fp16 is not a precision nnlab runs";
  } catch (const OptionError& e) {
    EXPECT_EQ(e.option(), "RuntimeOptions.precision") << e.what();
  }
  // The default is fp32, and a context built from it says so.
  EXPECT_EQ(RuntimeOptions{}.precision, "fp32");
  // A refused precision is refused before the runtime changes.
  init_runtime({/*threads=*/1, /*seed=*/0, /*device=*/"cpu"});
  EXPECT_THROW(init_execution_context({/*threads=*/2, /*seed=*/0, /*device=*/"cpu", "half"}),
               OptionError);
  EXPECT_EQ(at::get_num_threads(), 1);
  // auto on this machine follows the detection.
  const auto context =
      init_execution_context({/*threads=*/1, /*seed=*/0, /*device=*/"cpu", "auto"});
  EXPECT_EQ(context.precision,
            has_bf16_hardware(torch::kCPU) ? Precision::kBf16 : Precision::kFp32);
  restore_runtime();
}

TEST(ExecutionContext, ProvenanceSaysWhatProducedAResult) {
  ExecutionContext context;
  context.threads = 3;
  context.seed = 42;
  const auto p = provenance(context);
  EXPECT_FALSE(p["nnlab_version"].get<std::string>().empty());
  EXPECT_FALSE(p["nnlab_commit"].get<std::string>().empty());
  EXPECT_EQ(p["libtorch_version"], std::string(TORCH_VERSION));
  EXPECT_EQ(p["device"], "cpu");
  EXPECT_FALSE(p["device_name"].get<std::string>().empty());
  EXPECT_TRUE(p["cpu_isa"].is_array());
  EXPECT_EQ(p["precision"], "fp32");
  EXPECT_EQ(p["threads"], 3);
  EXPECT_EQ(p["seed"], 42);
  EXPECT_EQ(p["allocator"], allocator_name());
  EXPECT_EQ(p.size(), 10u);

  const auto stamped = with_provenance({{"accuracy", 0.5}}, context);
  EXPECT_EQ(stamped["accuracy"], 0.5);
  EXPECT_EQ(stamped[kJsonFormatVersionKey], kJsonFormatVersion);
  EXPECT_EQ(stamped[kProvenanceKey], p);
  EXPECT_EQ(with_provenance(nlohmann::json::array({1, 2}), context), nlohmann::json::array({1, 2}));
}

}  // namespace nnlab::core
