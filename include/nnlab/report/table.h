// Plain-text tables for the terminal: columns sized to their content, numbers right-aligned.
// Draws what it is given; computes nothing.
#pragma once

#include <string>
#include <vector>

namespace nnlab::report {

class Table {
 public:
  explicit Table(std::vector<std::string> header);
  void add_row(std::vector<std::string> row);
  // A horizontal rule before the next row (e.g. before a totals row).
  void add_rule();
  std::string render() const;
  // The same rows as CSV (header first).
  std::string to_csv() const;
  // The same rows as an HTML <table> (escaped; rules become a top border).
  std::string to_html() const;

 private:
  std::vector<std::string> header_;
  std::vector<std::vector<std::string>> rows_;  // an empty row is a rule
};

// Fixed-point number with `digits` decimals.
std::string fixed(double value, int digits = 2);
// value as a percentage of 1 with `digits` decimals and a % sign: 0.8912 -> "89.12%".
std::string percent(double fraction, int digits = 2);
// 1234567 -> "1,234,567".
std::string grouped(long long value);
// Bytes with a binary unit: "527.8 MiB".
std::string human_bytes(double bytes);

}  // namespace nnlab::report
