// The domains of numeric flags, as CLI11 validators. Every numeric flag of every command is
// checked by one of these before its command runs, so NaN, infinities, negative counts and
// fractions above 1 are refused in one place, with the flag's name: "--lr: must be a finite
// number > 0, got 'nan'". The domain also shows in --help (e.g. "NUMBER > 0").
#pragma once

#include <CLI/CLI.hpp>
#include <string>
#include <vector>

namespace nnlab::app::domain {

// A finite number in [lo, hi], and at most 2^53 in magnitude; an open end excludes its bound.
CLI::Validator range(double lo, double hi, bool lo_open = false, bool hi_open = false);

CLI::Validator positive();      // (0, inf)
CLI::Validator non_negative();  // [0, inf)
CLI::Validator fraction();      // [0, 1]
CLI::Validator finite();        // any finite number (may be negative)

// A comma-separated list (such as --epsilon 0,2,4,8) whose every item is in `item`'s domain.
CLI::Validator each_of_list(const CLI::Validator& item);

// The numbers of a comma-separated list given to `flag`: each must be a number in [lo, hi]
// (`unit` says how the values read, e.g. "0-255 pixel units"); otherwise, or for an empty list,
// core::OptionError(flag, ...).
std::vector<double> number_list(const std::string& flag, const std::string& text, double lo,
                                double hi, const std::string& unit);

}  // namespace nnlab::app::domain
