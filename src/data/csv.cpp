// RFC 4180 reading: fields separated by commas, records by CRLF or LF; a field in double quotes
// may hold commas, line breaks and doubled quotes (""). Spreadsheet exports add a UTF-8 byte
// order mark and a trailing newline; both are accepted.
#include "nnlab/data/csv.h"

#include <algorithm>
#include <cctype>

#include "nnlab/core/atomic_file.h"
#include "nnlab/core/error.h"

namespace nnlab::data {

namespace {

bool equals_ignoring_case(const std::string& a, const std::string& b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

// A record made of one empty field is a blank line: skipped rather than taken as a row, so
// that a stray empty line does not become a "ragged row" error.
bool is_blank(const std::vector<std::string>& record) {
  return record.size() == 1 && record[0].empty();
}

}  // namespace

CsvTable CsvTable::parse(const std::string& text, const std::string& source) {
  CsvTable table;
  table.source_ = source;

  size_t i = 0;
  const size_t n = text.size();
  if (text.compare(0, 3, "\xEF\xBB\xBF") == 0) i = 3;

  size_t line = 1;         // current line of the text
  size_t record_line = 1;  // where the current record started
  std::vector<std::string> record;
  std::string field;
  bool header_done = false;

  auto finish_record = [&]() {
    record.push_back(std::move(field));
    field.clear();
    if (!is_blank(record)) {
      if (!header_done) {
        table.header_ = std::move(record);
        header_done = true;
      } else {
        if (record.size() != table.header_.size()) {
          throw core::FileError(
              source, "line " + std::to_string(record_line) + ": " + std::to_string(record.size()) +
                          " fields, but the header has " + std::to_string(table.header_.size()));
        }
        table.rows_.push_back(std::move(record));
        table.lines_.push_back(record_line);
      }
    }
    record.clear();
  };

  while (i < n) {
    const char c = text[i];
    if (c == '"' && field.empty()) {
      // A quoted field: runs to the next quote that is not doubled.
      const size_t opened_on = line;
      ++i;
      bool closed = false;
      while (i < n) {
        const char q = text[i];
        if (q == '"') {
          if (i + 1 < n && text[i + 1] == '"') {
            field.push_back('"');
            i += 2;
            continue;
          }
          ++i;
          closed = true;
          break;
        }
        if (q == '\n') ++line;
        field.push_back(q);
        ++i;
      }
      if (!closed) {
        throw core::FileError(source, "line " + std::to_string(opened_on) +
                                          ": quoted field is never closed (missing '\"')");
      }
      if (i < n && text[i] != ',' && text[i] != '\n' && text[i] != '\r') {
        throw core::FileError(source, "line " + std::to_string(line) + ": unexpected '" +
                                          std::string(1, text[i]) +
                                          "' after a closing quote (expected ',' or end of line)");
      }
      continue;
    }
    if (c == ',') {
      record.push_back(std::move(field));
      field.clear();
      ++i;
    } else if (c == '\n' || c == '\r') {
      // CRLF, LF, or a lone CR all end the record.
      i += (c == '\r' && i + 1 < n && text[i + 1] == '\n') ? 2 : 1;
      finish_record();
      ++line;
      record_line = line;
    } else {
      // A quote inside an unquoted field is kept as is: lenient, as most readers are.
      field.push_back(c);
      ++i;
    }
  }
  // The last record when the text does not end with a newline.
  if (!field.empty() || !record.empty()) finish_record();

  if (!header_done) throw core::FileError(source, "empty file (expected a header row)");
  return table;
}

CsvTable CsvTable::read(const std::string& path) {
  return parse(core::read_file(path), path);
}

std::optional<size_t> CsvTable::column(const std::string& name) const {
  for (size_t i = 0; i < header_.size(); ++i) {
    if (header_[i] == name) return i;
  }
  for (size_t i = 0; i < header_.size(); ++i) {
    if (equals_ignoring_case(header_[i], name)) return i;
  }
  return std::nullopt;
}

size_t CsvTable::require_column(const std::string& name) const {
  if (auto index = column(name)) return *index;
  std::string columns;
  for (const auto& h : header_) columns += (columns.empty() ? "" : ", ") + h;
  throw core::FileError(source_,
                        "no column '" + name + "' in the header (columns: " + columns + ")");
}

std::string csv_escape(const std::string& field) {
  if (field.find_first_of(",\"\n\r") == std::string::npos) return field;
  std::string quoted = "\"";
  for (const char c : field) {
    if (c == '"') quoted.push_back('"');
    quoted.push_back(c);
  }
  quoted.push_back('"');
  return quoted;
}

std::string csv_line(const std::vector<std::string>& fields) {
  std::string line;
  for (size_t i = 0; i < fields.size(); ++i) {
    if (i > 0) line.push_back(',');
    line += csv_escape(fields[i]);
  }
  return line;
}

}  // namespace nnlab::data
