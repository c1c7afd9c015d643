// One error style for the whole library: exceptions whose message names the file (or the
// option) and what is wrong with it. main() prints the message on one line and exits non-zero.
#pragma once

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

// An option or argument with a value out of its domain: "--<name>: <problem>".
class OptionError : public std::invalid_argument {
 public:
  OptionError(const std::string& option, const std::string& problem)
      : std::invalid_argument(option + ": " + problem) {}
};

}  // namespace nnlab::core
