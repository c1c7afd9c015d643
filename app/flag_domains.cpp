#include "flag_domains.h"

#include <cmath>
#include <cstdlib>
#include <limits>
#include <sstream>
#include <string>

#include "nnlab/core/error.h"

namespace nnlab::app::domain {

namespace {

constexpr double kLargest = 9007199254740992.0;  // 2^53

std::string format_bound(double value) {
  std::ostringstream out;
  out << value;
  return out.str();
}

std::string describe(double lo, double hi, bool lo_open, bool hi_open) {
  const double inf = std::numeric_limits<double>::infinity();
  if (hi == inf) return "NUMBER " + std::string(lo_open ? "> " : ">= ") + format_bound(lo);
  if (lo == -inf) return "NUMBER " + std::string(hi_open ? "< " : "<= ") + format_bound(hi);
  return "NUMBER in " + std::string(lo_open ? "(" : "[") + format_bound(lo) + ", " +
         format_bound(hi) + (hi_open ? ")" : "]");
}

}  // namespace

CLI::Validator range(double lo, double hi, bool lo_open, bool hi_open) {
  const std::string what = describe(lo, hi, lo_open, hi_open);
  return CLI::Validator(
      [=](std::string& input) -> std::string {
        // strtod reads "nan" and "inf", and an overflow (1e999) as inf: all three are refused.
        const char* begin = input.c_str();
        char* end = nullptr;
        const double value = std::strtod(begin, &end);
        const std::string got = ", got '" + input + "'";
        if (end == begin || *end != '\0') return "expected a number" + got;
        const bool low = lo_open ? !(value > lo) : !(value >= lo);
        const bool high = hi_open ? !(value < hi) : !(value <= hi);
        if (!std::isfinite(value) || low || high) {
          return "must be a finite number" + what.substr(std::string("NUMBER").size()) + got;
        }
        // Past 2^53 doubles skip integers, and CLI11 reads a 64-bit integer past its range as
        // its largest value: no count, size or rate of nnlab is meaningful there.
        if (std::fabs(value) > kLargest) {
          return "must be at most 2^53 = 9007199254740992 in magnitude" + got;
        }
        return std::string();
      },
      what);
}

CLI::Validator positive() {
  return range(0, std::numeric_limits<double>::infinity(), /*lo_open=*/true);
}

CLI::Validator non_negative() {
  return range(0, std::numeric_limits<double>::infinity());
}

CLI::Validator fraction() {
  return range(0, 1);
}

CLI::Validator finite() {
  const double inf = std::numeric_limits<double>::infinity();
  return CLI::Validator(
      [=](std::string& input) -> std::string {
        std::string copy = input;
        const std::string problem = range(-inf, inf, true, true)(copy);
        return problem.empty() ? problem : "must be a finite number, got '" + input + "'";
      },
      "NUMBER");
}

CLI::Validator each_of_list(const CLI::Validator& item) {
  return CLI::Validator(
      [item](std::string& input) -> std::string {
        std::stringstream in(input);
        std::string part;
        while (std::getline(in, part, ',')) {
          std::string copy = part;
          const std::string problem = item(copy);
          if (!problem.empty()) return problem;
        }
        return std::string();
      },
      "LIST of " + item.get_description());
}

std::vector<double> number_list(const std::string& flag, const std::string& text, double lo,
                                double hi, const std::string& unit) {
  std::vector<double> out;
  std::stringstream in(text);
  std::string item;
  std::ostringstream domain_text;
  domain_text << "[" << lo << ", " << hi << "] (" << unit << ")";
  while (std::getline(in, item, ',')) {
    double value = 0;
    try {
      size_t used = 0;
      value = std::stod(item, &used);
      if (used != item.size()) throw std::invalid_argument(item);
    } catch (const std::exception&) {
      throw core::OptionError(flag,
                              "expected numbers in " + domain_text.str() + ", got '" + item + "'");
    }
    if (!(value >= lo && value <= hi && std::isfinite(value))) {
      throw core::OptionError(flag, "must be in " + domain_text.str() + ", got " + item);
    }
    out.push_back(value);
  }
  if (out.empty()) throw core::OptionError(flag, "no value given");
  return out;
}

}  // namespace nnlab::app::domain
