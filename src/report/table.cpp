#include "nnlab/report/table.h"

#include <algorithm>
#include <cctype>
#include <cstdio>

#include "nnlab/report/html.h"

namespace nnlab::report {

namespace {

bool is_numeric(const std::string& s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (!(std::isdigit(static_cast<unsigned char>(c)) || c == '.' || c == ',' || c == '-' ||
          c == '%' || c == '+' || c == 'e' || c == 'x')) {
      return false;
    }
  }
  return std::isdigit(static_cast<unsigned char>(s.back())) || s.back() == '%' || s.back() == 'x';
}

std::string csv_field(const std::string& s) {
  if (s.find_first_of(",\"\n") == std::string::npos) return s;
  std::string out = "\"";
  for (char c : s) out += c == '"' ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}

// Display width: counts UTF-8 code points, not bytes.
size_t width_of(const std::string& s) {
  size_t n = 0;
  for (unsigned char c : s) n += (c & 0xC0) != 0x80;
  return n;
}

}  // namespace

Table::Table(std::vector<std::string> header) : header_(std::move(header)) {}

void Table::add_row(std::vector<std::string> row) {
  row.resize(header_.size());
  rows_.push_back(std::move(row));
}

void Table::add_rule() {
  rows_.emplace_back();
}

std::string Table::render() const {
  std::vector<size_t> widths(header_.size(), 0);
  for (size_t c = 0; c < header_.size(); ++c) widths[c] = width_of(header_[c]);
  for (const auto& row : rows_) {
    for (size_t c = 0; c < row.size(); ++c) widths[c] = std::max(widths[c], width_of(row[c]));
  }
  auto line = [&](const std::vector<std::string>& row, bool header) {
    std::string out;
    for (size_t c = 0; c < row.size(); ++c) {
      const size_t pad = widths[c] - width_of(row[c]);
      const bool right = !header && is_numeric(row[c]);
      if (c > 0) out += "  ";
      out += right ? std::string(pad, ' ') + row[c]
                   : row[c] + (c + 1 < row.size() ? std::string(pad, ' ') : "");
    }
    return out + "\n";
  };
  std::string rule;
  for (size_t c = 0; c < widths.size(); ++c) rule += (c ? "  " : "") + std::string(widths[c], '-');
  std::string out = line(header_, true) + rule + "\n";
  for (const auto& row : rows_) out += row.empty() ? rule + "\n" : line(row, false);
  return out;
}

std::string Table::to_csv() const {
  auto line = [](const std::vector<std::string>& row) {
    std::string out;
    for (size_t c = 0; c < row.size(); ++c) out += (c ? "," : "") + csv_field(row[c]);
    return out + "\n";
  };
  std::string out = line(header_);
  for (const auto& row : rows_) {
    if (!row.empty()) out += line(row);
  }
  return out;
}

std::string fixed(double value, int digits) {
  char buffer[64];
  std::snprintf(buffer, sizeof(buffer), "%.*f", digits, value);
  return buffer;
}

std::string percent(double fraction, int digits) {
  return fixed(100.0 * fraction, digits) + "%";
}

std::string grouped(long long value) {
  std::string digits = std::to_string(value < 0 ? -value : value);
  std::string out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return value < 0 ? "-" + out : out;
}

std::string human_bytes(double bytes) {
  const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  int u = 0;
  while (bytes >= 1024 && u < 4) {
    bytes /= 1024;
    ++u;
  }
  return fixed(bytes, u == 0 ? 0 : 1) + " " + units[u];
}

std::string Table::to_html() const {
  std::string out = "<table>\n<thead><tr>";
  for (const auto& cell : header_) out += "<th>" + html_escape(cell) + "</th>";
  out += "</tr></thead>\n<tbody>\n";
  bool ruled = false;
  for (const auto& row : rows_) {
    if (row.empty()) {
      ruled = true;
      continue;
    }
    out += ruled ? "<tr class=\"rule\">" : "<tr>";
    ruled = false;
    for (const auto& cell : row) out += "<td>" + html_escape(cell) + "</td>";
    out += "</tr>\n";
  }
  return out + "</tbody>\n</table>\n";
}

}  // namespace nnlab::report
