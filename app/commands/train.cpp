#include "commands/commands.h"

namespace nnlab::app {
void setup_train(CLI::App& app, GlobalOptions& global) { (void)app; (void)global; }
}  // namespace nnlab::app
