// The command line as tests walk it: every command with the arguments it needs besides a flag
// under test, the command line built in-process (app/command_line.h), each command's flags, and
// its numeric flags with the domains its help prints (app/flag_domains.h). Shared by
// bad_flags_test (every numeric flag refuses values outside its domain) and option_flags_test
// (every error names a flag of its command).
#pragma once

#include <CLI/CLI.hpp>
#include <cmath>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "../../app/cli_common.h"

namespace nnlab::testing {

// Every command ("g2p train"; "" for the global flags, given before the command) and the
// arguments it needs besides the flag under test (its required options).
const std::map<std::string, std::string>& commands_and_required_arguments();

struct NumericFlag {
  std::string name;
  std::string type;  // INT, UINT, FLOAT, or TEXT for a comma-separated list
  std::string domain;
  double lo = -INFINITY, hi = INFINITY;
  bool lo_open = false, hi_open = false;
};

// The numeric options in a command's --help. A numeric type without ":NUMBER" has no domain.
std::vector<NumericFlag> numeric_flags(const std::string& help);

// Values outside the flag's domain: the non-finite ones, an overflow, and finite ones just out.
std::vector<std::string> bad_values(const NumericFlag& flag);

// A number as a flag value ("0.5", "1e-06").
std::string format(double v);

// The whole command line, built in-process.
struct CommandLine {
  CLI::App app{"nnlab"};
  app::GlobalOptions global;
  CommandLine();
  CLI::App* command(const std::string& path);  // "g2p train"; "" for the top level
  std::string help(const std::string& path) { return command(path)->help(); }
  // The long flags of a command ("--epochs"), with the global ones that every command takes.
  std::set<std::string> flags_of(const std::string& path);
  // Every long flag of every command and the global ones.
  std::set<std::string> all_flags();
};

}  // namespace nnlab::testing
