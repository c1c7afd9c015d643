// One error style for the whole library: exceptions whose message names the file (or the
// option) and what is wrong with it. main() prints the message on one line and exits non-zero.
#pragma once

#include <cstdio>
#include <stdexcept>
#include <string>

namespace nnlab::core {

// A file that cannot be read, or whose content is wrong: "<path>: <problem>".
class FileError : public std::runtime_error {
 public:
  FileError(const std::string& path, const std::string& problem)
      : std::runtime_error(path + ": " + problem), path_(path) {}
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// An option with a value out of its domain: "<Struct.field>: <problem>", where the option is
// named by the options struct and field that hold it ("Seq2SeqTrainOptions.epochs"), never by
// a command-line flag: the command line maps option names to its flags (app/option_flags.h).
// The problem may name other options the same way ("give LowRankOptions.rank or ...").
class OptionError : public std::invalid_argument {
 public:
  OptionError(const std::string& option, const std::string& problem)
      : std::invalid_argument(option + ": " + problem), option_(option), problem_(problem) {}
  const std::string& option() const { return option_; }
  const std::string& problem() const { return problem_; }

 private:
  std::string option_;
  std::string problem_;
};

// A number as an OptionError's problem shows the value it refuses: "must be >= 0, got " +
// number_text(x) gives "-0.5", "1e-06", "nan" (printf's %g, as an ostream prints a double).
inline std::string number_text(double value) {
  char text[32];
  std::snprintf(text, sizeof(text), "%g", value);
  return text;
}

}  // namespace nnlab::core
