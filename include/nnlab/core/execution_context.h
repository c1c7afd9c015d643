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

// The arithmetic a command runs in. Only fp32 runs today; bf16 is the next step, and "auto"
// resolves to fp32 until it lands.
enum class Precision { kFp32, kBf16 };

// "fp32" or "bf16".
std::string to_string(Precision precision);

// "auto" or "fp32" -> kFp32. "bf16" is refused (not implemented yet), like any other value, with
// an OptionError naming RuntimeOptions.precision.
Precision parse_precision(const std::string& spec);

struct ExecutionContext {
  torch::Device device{torch::kCPU};
  Precision precision = Precision::kFp32;
  int threads = 1;  // intra-op threads, as set (all cores, RuntimeOptions.threads or NNLAB_THREADS)
  std::uint64_t seed = 0;  // torch's default generator was seeded with it
};

// Applies threads and seed (core::init_runtime), resolves the device and the precision, and
// returns the context. Called once per command (app::start) and by tests.
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
