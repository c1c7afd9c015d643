// Every output is written atomically: to a temporary file beside the target, then renamed, so
// a crash or a bad input never leaves a half-written file under the final name.
#pragma once

#include <functional>
#include <string>

namespace nnlab::core {

// Calls write(tmp_path), then renames tmp_path to path. If write throws, the temporary file is
// removed and the exception propagates; path is untouched.
void write_atomically(const std::string& path,
                      const std::function<void(const std::string&)>& write);

// Writes the bytes of text to path atomically.
void write_text_atomically(const std::string& path, const std::string& text);

// Reads a whole file; throws FileError when it cannot be opened.
std::string read_file(const std::string& path);

// Creates a directory and its parents; throws FileError if a non-directory is in the way.
void make_directories(const std::string& path);

}  // namespace nnlab::core
