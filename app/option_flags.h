// Library errors name options, not flags: core::OptionError("Seq2SeqTrainOptions.epochs",
// "must be >= 1, got 0"). This is the one table that turns those names into the flags that set
// them, so that a user reads "nnlab: error: --epochs: must be >= 1, got 0". A flag's name lives
// in app/ only; tests/cli/option_flags_test.cpp checks that every option the library names has
// a row and that every row names a flag of the command line.
#pragma once

#include <exception>
#include <string>
#include <vector>

namespace nnlab::app {

struct OptionFlag {
  std::string option;  // "Struct.field", or "function.parameter" for a free function's argument
  std::string flag;    // "--epochs"
};

// Every row of the table.
const std::vector<OptionFlag>& option_flags();

// The library's option names that no flag sets (the command line leaves them at their defaults
// or sets them from something else), with the reason; an error naming one shows the name.
const std::vector<OptionFlag>& options_without_flag();

// The flag of an option; "" when it has no row.
std::string flag_of(const std::string& option);

// The text with every option name in it ("give LowRankOptions.rank or ...") replaced by its flag;
// a name without a row stays as it is. Names joined by '/' that map to one flag give it once
// ("SceneOptions.width/SceneOptions.height" -> "--canvas").
std::string with_flags(const std::string& text);

// The line main prints after "nnlab: error: " for an exception from a command: an OptionError
// as "<flag>: <problem>", any other message with its option names turned into flags.
std::string describe_error(const std::exception& error);

}  // namespace nnlab::app
