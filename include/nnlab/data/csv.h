// A small RFC-4180 CSV reader and writer: header row, quoted fields, columns found by name.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace nnlab::data {

class CsvTable {
 public:
  // Parses the whole file; throws core::FileError for a missing file, an empty one, or a row whose
  // field count differs from the header's (naming the line).
  static CsvTable read(const std::string& path);
  static CsvTable parse(const std::string& text, const std::string& source);

  const std::vector<std::string>& header() const { return header_; }
  const std::vector<std::vector<std::string>>& rows() const { return rows_; }
  // Column index by name (exact, then case-insensitive), or nullopt.
  std::optional<size_t> column(const std::string& name) const;
  // As column(), but throws core::FileError "<source>: no column 'NAME' in the header".
  size_t require_column(const std::string& name) const;
  const std::string& source() const { return source_; }
  // 1-based line number where data row i starts in the file (for messages); quoted fields may
  // span lines and blank lines are skipped, so this is not always row + 2.
  size_t line_of(size_t row) const { return row < lines_.size() ? lines_[row] : row + 2; }

 private:
  std::string source_;
  std::vector<std::string> header_;
  std::vector<std::vector<std::string>> rows_;
  std::vector<size_t> lines_;  // line_of() per row
};

// Quotes a field when it holds a comma, quote or newline.
std::string csv_escape(const std::string& field);
// Joins fields into one CSV line (no trailing newline).
std::string csv_line(const std::vector<std::string>& fields);

}  // namespace nnlab::data
