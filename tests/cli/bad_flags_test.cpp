// Every numeric flag of every command is checked against its domain before the command runs.
// The flags and their domains are read from each command's help (where app/flag_domains.h
// prints them, e.g. "FLOAT:NUMBER > 0"), so a numeric flag added without a domain fails here,
// and every one is given every value outside its domain: NaN, infinities, an overflow, a value
// just below (and, when bounded, just above) its range. The command line is built in-process
// (app/command_line.h) and each parse ends with --help, which CLI11 answers after converting and
// validating every value and instead of running the command: the thousand-odd parses take
// milliseconds. A few runs of the binary check the end: exit status 1 and one line.
#include <gtest/gtest.h>

#include <cmath>
#include <iostream>

#include "cli/cli_test_util.h"
#include "cli/command_flags.h"

namespace nnlab::testing {
namespace {

const auto& kCommands = commands_and_required_arguments();

struct Outcome {
  bool refused = false;
  std::string message;
};

// Parses `command flag=value --help required` (the global flags: before the command).
Outcome parse(const std::string& command, const std::string& flag_value,
              const std::string& required) {
  const std::string args = command.empty() ? flag_value + " " + required + " --help"
                                           : command + " " + flag_value + " --help " + required;
  CommandLine line;
  try {
    line.app.parse(args, /*program_name_included=*/false);
  } catch (const CLI::ParseError& e) {
    return {e.get_exit_code() != 0, e.what()};
  }
  ADD_FAILURE() << args << ": parsed to the end, the command would have run";
  return {};
}

}  // namespace

TEST(BadFlags, EveryNumericFlagHasADomainAndRefusesValuesOutsideIt) {
  int flags_tried = 0, values_tried = 0;
  for (const auto& [command, required] : kCommands) {
    const auto flags = numeric_flags(CommandLine().help(command));
    if (command != "lm eval") {  // the one command without a numeric flag
      EXPECT_FALSE(flags.empty()) << command;
    }
    for (const auto& flag : flags) {
      ++flags_tried;
      ASSERT_FALSE(flag.domain.empty())
          << command << " " << flag.name << " " << flag.type << " has no domain";
      ASSERT_TRUE(std::isfinite(flag.lo) || std::isfinite(flag.hi))
          << command << " " << flag.name << ": cannot read the domain '" << flag.domain << "'";
      for (const auto& value : bad_values(flag)) {
        const std::string args = command + " " + flag.name + "=" + value;
        const auto outcome = parse(command, flag.name + "=" + value, required);
        ++values_tried;
        EXPECT_TRUE(outcome.refused) << args;
        EXPECT_EQ(outcome.message.find('\n'), std::string::npos) << args << ": " << outcome.message;
        EXPECT_NE(outcome.message.find(flag.name), std::string::npos)
            << args << ": " << outcome.message;
      }
      // A value inside the domain is accepted: the check is not a blanket refusal.
      const double inside = std::isfinite(flag.lo)
                                ? (std::isfinite(flag.hi) ? flag.lo / 2 + flag.hi / 2 : flag.lo + 1)
                                : flag.hi - 1;
      const std::string good = flag.type == "FLOAT" || flag.type == "TEXT"
                                   ? format(inside)
                                   : std::to_string(static_cast<long long>(std::ceil(inside)));
      const auto outcome = parse(command, flag.name + "=" + good, required);
      EXPECT_FALSE(outcome.refused)
          << command << " " << flag.name << "=" << good << ": " << outcome.message;
    }
  }
  EXPECT_GT(flags_tried, 100);
  EXPECT_GT(values_tried, 600);
  std::cout << flags_tried << " numeric flags, " << values_tried
            << " values outside their domains\n";
}

TEST(BadFlags, TheMessageNamesTheFlagTheDomainAndTheValue) {
  const auto r = run_nnlab("train --lr=nan --epochs 1");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.err, "nnlab: error: --lr: must be a finite number > 0, got 'nan'\n");
  const auto f = run_nnlab("train --momentum=1.5");
  EXPECT_EQ(f.exit_code, 1);
  EXPECT_EQ(f.err, "nnlab: error: --momentum: must be a finite number in [0, 1], got '1.5'\n");
  const auto big = run_nnlab("g2p train --train t -o m --epochs=99999999999999999999");
  EXPECT_EQ(big.exit_code, 1);
  EXPECT_EQ(big.err,
            "nnlab: error: --epochs: must be at most 2^53 = 9007199254740992 in magnitude, got "
            "'99999999999999999999'\n");
  // Values inside the domain still work end to end.
  const auto ok = run_nnlab("summary --arch lenet5 --threads 1 --json -q");
  EXPECT_EQ(ok.exit_code, 0) << ok.err;
}

}  // namespace nnlab::testing
