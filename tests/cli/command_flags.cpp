#include "cli/command_flags.h"

#include <regex>
#include <sstream>

#include "../../app/command_line.h"

namespace nnlab::testing {

const std::map<std::string, std::string>& commands_and_required_arguments() {
  static const std::map<std::string, std::string> commands = {
      {"", "summary --arch lenet5"},
      {"train", ""},
      {"eval", ""},
      {"predict", "x.png"},
      {"summary", ""},
      {"export-images", "-o out"},
      {"attack", ""},
      {"attack-eval", ""},
      {"certify", "--sigma 0.25"},
      {"robustness", ""},
      {"prune", ""},
      {"factorize", ""},
      {"convert", ""},
      {"quantize", ""},
      {"compress", ""},
      {"g2p train", "--train t -o m"},
      {"g2p eval", "-m m --test t"},
      {"g2p pronounce", "-m m"},
      {"seq2seq train", "--train t -o m"},
      {"seq2seq translate", "-m m"},
      {"seq2seq eval", "-m m --test t"},
      {"lm train", "--text t -o m"},
      {"lm eval", "-m m --text t"},
      {"lm generate", "-m m"},
      {"caption train", "-o m"},
      {"caption eval", "-m m"},
      {"caption describe", "-m m"},
      {"launch", "-- true"},
  };
  return commands;
}

namespace {

double number(const std::string& text) {
  return std::stod(text);
}

void add_long_names(const CLI::App& app, std::set<std::string>& out) {
  for (const auto* option : app.get_options()) {
    for (const auto& name : option->get_lnames()) out.insert("--" + name);
  }
}

void add_all(const CLI::App& app, std::set<std::string>& out) {
  add_long_names(app, out);
  for (const auto* sub : app.get_subcommands({})) add_all(*sub, out);
}

}  // namespace

std::vector<NumericFlag> numeric_flags(const std::string& help) {
  static const std::regex option(
      R"(^\s+(?:-\w,)?(--[a-z0-9-]+) (INT|UINT|FLOAT|TEXT)(?::((?:LIST of )?NUMBER[^\]\[(]*(?:[\[(][^\])]*[\])])?))?)");
  static const std::regex bound(R"(NUMBER (>=?|<=?) (\S+))");
  static const std::regex range(R"(NUMBER in ([\[(])(\S+), (\S+?)([\])]))");
  std::vector<NumericFlag> flags;
  std::istringstream lines(help);
  for (std::string line; std::getline(lines, line);) {
    std::smatch m;
    if (!std::regex_search(line, m, option)) continue;
    NumericFlag flag{m[1], m[2], m[3]};
    if (flag.type == "TEXT" && flag.domain.empty()) continue;  // text, not a number
    std::smatch d;
    if (std::regex_search(flag.domain, d, range)) {
      flag.lo_open = d[1] == "(";
      flag.lo = number(d[2]);
      flag.hi = number(d[3]);
      flag.hi_open = d[4] == ")";
    } else if (std::regex_search(flag.domain, d, bound)) {
      const std::string op = d[1];
      (op[0] == '>' ? flag.lo : flag.hi) = number(d[2]);
      (op[0] == '>' ? flag.lo_open : flag.hi_open) = op.size() == 1;
    }
    flags.push_back(flag);
  }
  return flags;
}

std::string format(double v) {
  std::ostringstream out;
  out << v;
  return out.str();
}

std::vector<std::string> bad_values(const NumericFlag& flag) {
  std::vector<std::string> values = {"nan", "inf", "-inf", "1e999"};
  if (flag.type == "INT" || flag.type == "UINT") values.push_back("99999999999999999999");
  if (std::isfinite(flag.lo)) values.push_back(format(flag.lo_open ? flag.lo : flag.lo - 1));
  if (std::isfinite(flag.hi)) values.push_back(format(flag.hi_open ? flag.hi : flag.hi + 1));
  return values;
}

CommandLine::CommandLine() {
  app::setup_command_line(app, global);
}

CLI::App* CommandLine::command(const std::string& path) {
  CLI::App* at = &app;
  std::istringstream words(path);
  for (std::string word; words >> word;) at = at->get_subcommand(word);
  return at;
}

std::set<std::string> CommandLine::flags_of(const std::string& path) {
  std::set<std::string> flags;
  add_long_names(app, flags);  // the global flags (fallthrough: accepted after the command too)
  CLI::App* at = &app;
  std::istringstream words(path);
  for (std::string word; words >> word;) {
    at = at->get_subcommand(word);
    add_long_names(*at, flags);
  }
  return flags;
}

std::set<std::string> CommandLine::all_flags() {
  std::set<std::string> flags;
  add_all(app, flags);
  return flags;
}

}  // namespace nnlab::testing
