// The whole command line: the global flags and every subcommand with its flags, bound to
// `global` and to options structs the subcommands own. main() parses with it; tests build it
// in-process to try flag values without starting the binary.
#pragma once

#include "cli_common.h"

namespace nnlab::app {

void setup_command_line(CLI::App& app, GlobalOptions& global);

}  // namespace nnlab::app
