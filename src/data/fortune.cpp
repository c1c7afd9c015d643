#include "nnlab/data/fortune.h"

#include <sstream>

#include "nnlab/core/atomic_file.h"
#include "nnlab/core/error.h"
#include "nnlab/core/utf8.h"

namespace nnlab::data {

namespace {

bool blank(const std::string& line) {
  return line.find_first_not_of(" \t\r") == std::string::npos;
}

}  // namespace

std::string strip_ansi_escapes(const std::string& text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\x1b' && i + 1 < text.size() && text[i + 1] == '[') {
      std::size_t j = i + 2;
      while (j < text.size() && !(text[j] >= 0x40 && text[j] <= 0x7e)) ++j;
      i = j;  // the final byte is skipped too
      continue;
    }
    out += text[i];
  }
  return out;
}

std::vector<FortuneRecord> read_fortunes(const std::string& path, const FortuneOptions& options) {
  std::istringstream in(core::read_file(path));
  std::vector<FortuneRecord> records;
  FortuneRecord record;
  const auto close = [&] {
    while (!record.lines.empty() && blank(record.lines.back())) record.lines.pop_back();
    if (!record.lines.empty()) records.push_back(std::move(record));
    record = FortuneRecord();
  };
  std::string line;
  std::int64_t number = 0;
  while (std::getline(in, line)) {
    ++number;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (!core::valid_utf8(line))
      throw core::FileError(path, "line " + std::to_string(number) + ": invalid UTF-8");
    if (line == "%") {
      close();
      continue;
    }
    const bool highlighted = line.find('\x1b') != std::string::npos;
    if (highlighted && options.drop_highlighted) continue;
    auto text = strip_ansi_escapes(line);
    if (record.lines.empty() && blank(text)) continue;
    if (record.lines.empty()) record.line = number;
    record.lines.push_back(std::move(text));
  }
  close();
  return records;
}

}  // namespace nnlab::data
