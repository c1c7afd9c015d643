#include "commands/commands.h"

namespace nnlab::app {
void setup_summary(CLI::App& app, GlobalOptions& global) { (void)app; (void)global; }
}  // namespace nnlab::app
