// Every output is written atomically, so a crash, a kill, a full disk or a bad input never leaves
// a half-written file under the final name (docs/FORMAT.md, "How files are written").
#pragma once

#include <functional>
#include <string>

namespace nnlab::core {

// Calls write(tmp_path) for a named temporary beside the target (core/temp_files.h, removed on
// SIGTERM), then renames tmp_path to path. If write throws, the temporary is removed and the
// exception propagates; path is untouched. For writers that need a path (they open the file
// themselves); write_text_atomically is preferred.
void write_atomically(const std::string& path,
                      const std::function<void(const std::string&)>& write);

// Writes the bytes of text to path atomically: through an unnamed O_TMPFILE file where the
// filesystem has them (a killed process leaves nothing), else a named temporary. Throws FileError
// naming path and the system's reason ("No space left on device", "File too large",
// "Permission denied", ...); the previous file at path is then unchanged.
void write_text_atomically(const std::string& path, const std::string& text);

// Reads a whole file; throws FileError when it cannot be opened.
std::string read_file(const std::string& path);

// Creates a directory and its parents; throws FileError if a non-directory is in the way.
void make_directories(const std::string& path);

}  // namespace nnlab::core
