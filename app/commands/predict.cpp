#include "commands/commands.h"

namespace nnlab::app {
void setup_predict(CLI::App& app, GlobalOptions& global) { (void)app; (void)global; }
}  // namespace nnlab::app
