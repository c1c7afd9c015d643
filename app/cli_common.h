// What every subcommand shares: the global flags and the one way results are printed.
#pragma once

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>
#include <string>

#include "nnlab/core/execution_context.h"
#include "nnlab/core/runtime.h"
#include "nnlab/data/image_io.h"

namespace nnlab::app {

struct GlobalOptions {
  core::RuntimeOptions runtime;
  bool json = false;   // one final JSON object on stdout instead of text
  bool quiet = false;  // no progress bars
  // Multi-process runs: rendezvous and collective timeout in seconds (0: NNLAB_DIST_TIMEOUT, else
  // train::DistributedOptions::kDefaultTimeoutSeconds).
  double dist_timeout = 0;
  // Image files declaring more pixels are refused before decoding (decompression bombs).
  std::int64_t max_image_pixels = data::kDefaultMaxImagePixels;
};

// Applies the global options (threads, seed, progress) and returns the execution context every
// command decides once and runs in (device, precision, threads, seed).
core::ExecutionContext start(const GlobalOptions& global);

// Prints the command's result: the JSON object with --json (with "format_version" and the
// "provenance" block of the context, core/execution_context.h; docs/JSON.md), the human text
// otherwise.
void emit(const GlobalOptions& global, const core::ExecutionContext& context,
          const nlohmann::json& result, const std::string& human);

// Human-readable lines that should not pollute --json stdout go to stderr.
void info(const GlobalOptions& global, const std::string& line);

}  // namespace nnlab::app
