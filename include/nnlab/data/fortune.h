// The fortune(6) file format, as Debian's fortunes-zh ships its Chinese poems and sayings
// (/usr/share/games/fortunes/tang300, song100, chinese): records separated by lines holding a
// single "%", text in UTF-8 with ANSI colour escapes (ESC [ ... m) around titles, authors and
// attributions.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace nnlab::data {

struct FortuneOptions {
  // Drop the lines that carry colour escapes (a poem's title and author, a saying's
  // attribution), keeping only the text itself.
  bool drop_highlighted = true;
};

struct FortuneRecord {
  std::vector<std::string> lines;  // escapes stripped, blank lines at either end removed
  std::int64_t line = 0;           // 1-based line of the record's first line, for messages
};

// Records with at least one line of text, in file order. Throws core::FileError for a file that
// cannot be read or is not valid UTF-8 ("<path>: line N: invalid UTF-8").
std::vector<FortuneRecord> read_fortunes(const std::string& path,
                                         const FortuneOptions& options = {});

// The text with every ANSI escape sequence (ESC [ parameters final-byte) removed.
std::string strip_ansi_escapes(const std::string& text);

}  // namespace nnlab::data
