#include "cli_common.h"

#include <iostream>

#include "nnlab/core/progress.h"

namespace nnlab::app {

core::ExecutionContext start(const GlobalOptions& global) {
  if (global.quiet) core::Progress::set_enabled(false);
  data::set_max_image_pixels(global.max_image_pixels);
  auto context = core::init_execution_context(global.runtime);
  if (context.precision == core::Precision::kBf16 && !core::has_bf16_hardware(context.device) &&
      !global.quiet) {
    std::cerr
        << "nnlab: note: " << context.device.str()
        << " has no bf16 matrix hardware; --precision bf16 is emulated and slower than fp32\n";
  }
  return context;
}

void emit(const GlobalOptions& global, const core::ExecutionContext& context,
          const nlohmann::json& result, const std::string& human) {
  if (global.json) {
    std::cout << core::with_provenance(result, context).dump() << std::endl;
  } else {
    std::cout << human;
    if (!human.empty() && human.back() != '\n') std::cout << '\n';
    std::cout.flush();
  }
}

void info(const GlobalOptions& global, const std::string& line) {
  if (global.quiet) return;
  std::cerr << line << '\n';
}

}  // namespace nnlab::app
