// The execution context: the one place where a command's numeric setting is decided -- device,
// precision, threads, seed -- once at start-up, then passed down. Every result a command prints or
// writes carries the provenance block built from it (docs/JSON.md), so a number always says which
// build, library, machine and setting produced it.
#pragma once

#include <torch/types.h>

#include <cstdint>
#include <nlohmann/json_fwd.hpp>
#include <string>

#include "nnlab/core/runtime.h"

namespace nnlab::core {

// The arithmetic a command's models run in. fp32 is the default and exact; bf16 is mixed
// precision (core/autocast.h): float32 weights, optimizer state and image arithmetic, bfloat16
// matrix products and convolutions.
enum class Precision { kFp32, kBf16 };

// "fp32" or "bf16".
std::string to_string(Precision precision);

// Whether the device multiplies bfloat16 matrices in hardware: a CPU reporting AMX-BF16 or
// AVX512-BF16 (read from /proc/cpuinfo at run time), a CUDA device of compute capability 8.0 or
// more. Elsewhere oneDNN or cuBLAS emulate bf16, slower than float32.
bool has_bf16_hardware(const torch::Device& device);

// "fp32" -> kFp32, "bf16" -> kBf16, "auto" -> kBf16 exactly when bf16_hardware (the detection is a
// parameter so that a test can say what any machine would get). Anything else is an OptionError
// naming RuntimeOptions.precision.
Precision resolve_precision(const std::string& spec, bool bf16_hardware);

struct ExecutionContext {
  torch::Device device{torch::kCPU};
  Precision precision = Precision::kFp32;
  int threads = 1;  // intra-op threads, as set (all cores, RuntimeOptions.threads or NNLAB_THREADS)
  std::uint64_t seed = 0;  // torch's default generator was seeded with it
};

// Applies threads and seed (core::init_runtime), resolves the device and the precision ("auto"
// through has_bf16_hardware of that device), and returns the context. Called once per command
// (app::start) and by tests.
ExecutionContext init_execution_context(const RuntimeOptions& options);

// The provenance block (docs/JSON.md, "provenance"): nnlab version and commit, LibTorch version,
// the device and its name (the GPU's, or the CPU model), the CPU's vector extensions detected at
// run time, precision, threads and seed.
nlohmann::json provenance(const ExecutionContext& context);

// The object with "format_version" (core/format_version.h) and "provenance" added; anything but
// an object unchanged. Every JSON result and metrics file nnlab writes goes through it.
nlohmann::json with_provenance(nlohmann::json j, const ExecutionContext& context);

// The key of the provenance block.
inline constexpr const char* kProvenanceKey = "provenance";

}  // namespace nnlab::core
