// Library errors name options ("Seq2SeqTrainOptions.epochs"), the command line names flags, and
// app/option_flags maps the one to the other. These tests hold the two ends together: no flag
// name in the library's sources, a row for every option the library names, a flag of the command
// line for every row, and for every command each numeric flag at and past its domain's edges
// either accepted or refused with a message that names a flag of that very command.
#include "../../app/option_flags.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <regex>
#include <set>
#include <sstream>

#include "cli/cli_test_util.h"
#include "cli/command_flags.h"
#include "nnlab/core/error.h"
#include "nnlab/data/image_io.h"

namespace nnlab::testing {
namespace {

namespace fs = std::filesystem;

struct SourceLine {
  std::string file;
  int number = 0;
  std::string code;     // the line without its // comment
  std::string comment;  // the // comment, if any
};

// Every line of the library's sources (src/ and include/), split into code and comment.
std::vector<SourceLine> library_lines() {
  std::vector<SourceLine> lines;
  for (const std::string root : {"src", "include"}) {
    for (const auto& entry : fs::recursive_directory_iterator(fs::path(NNLAB_SOURCE_DIR) / root)) {
      const auto extension = entry.path().extension();
      if (extension != ".h" && extension != ".cpp") continue;
      std::ifstream in(entry.path());
      int number = 0;
      for (std::string line; std::getline(in, line);) {
        ++number;
        // A // outside a string literal starts the comment.
        bool quoted = false;
        std::size_t cut = std::string::npos;
        for (std::size_t i = 0; i + 1 < line.size(); ++i) {
          if (line[i] == '\\' && quoted) {
            ++i;
          } else if (line[i] == '"') {
            quoted = !quoted;
          } else if (!quoted && line[i] == '/' && line[i + 1] == '/') {
            cut = i;
            break;
          }
        }
        SourceLine source{entry.path().string(), number, line.substr(0, cut), ""};
        if (cut != std::string::npos) source.comment = line.substr(cut);
        lines.push_back(source);
      }
    }
  }
  return lines;
}

std::vector<std::string> string_literals(const std::string& code) {
  static const std::regex literal(R"re("((?:[^"\\]|\\.)*)")re");
  std::vector<std::string> out;
  for (std::sregex_iterator it(code.begin(), code.end(), literal), end; it != end; ++it) {
    out.push_back((*it)[1]);
  }
  return out;
}

// The option names the library's errors use: the first argument of every OptionError and
// require_* check ("A/B" naming two), and every name inside a string literal that reads like
// one (PascalCase struct or snake_case function, a dot, a snake_case field), as a problem
// naming another option does ("use SearchOptions.beam 1").
std::map<std::string, std::string> options_named_by_the_library() {
  static const std::regex thrown(
      R"re((?:OptionError|require_at_least|require_positive)\(\s*"([^"]+)")re");
  static const std::regex name(
      R"((?:^|[^A-Za-z0-9_.-])((?:[A-Z][A-Za-z0-9]*|[a-z][a-z0-9]*(?:_[a-z0-9]+)+)\.[a-z_][a-z0-9_]*)(?![A-Za-z0-9_.]))");
  std::map<std::string, std::string> names;  // name -> where
  std::map<std::string, std::string> code_of_file;
  for (const auto& line : library_lines()) {
    if (line.code.rfind("#include", 0) == 0) continue;
    code_of_file[line.file] += line.code + "\n";
    for (const auto& text : string_literals(line.code)) {
      for (std::sregex_iterator it(text.begin(), text.end(), name), end; it != end; ++it) {
        // A file name such as "per_image.csv" has the shape of a free function's parameter.
        static const std::regex file_name(
            R"(.*\.(csv|json|jsonl|png|svg|html|txt|tsv|nnz|pt|ckpt)$)");
        if (std::regex_match((*it)[1].str(), file_name)) continue;
        names.emplace((*it)[1], line.file + ":" + std::to_string(line.number));
      }
    }
  }
  for (const auto& [file, code] : code_of_file) {  // a call may break its line after '('
    for (std::sregex_iterator it(code.begin(), code.end(), thrown), end; it != end; ++it) {
      std::stringstream parts((*it)[1]);
      for (std::string part; std::getline(parts, part, '/');) names.emplace(part, file);
    }
  }
  return names;
}

TEST(OptionFlags, NoFlagNameInTheLibrary) {
  // A flag is "--" and a letter inside a string literal or a comment ("--epochs"); "--i" in
  // code is a decrement.
  static const std::regex flag(R"(--[a-z])");
  int lines = 0;
  for (const auto& line : library_lines()) {
    ++lines;
    for (const auto& text : string_literals(line.code)) {
      EXPECT_FALSE(std::regex_search(text, flag))
          << line.file << ":" << line.number << ": a flag in a string: " << line.code;
    }
    EXPECT_FALSE(std::regex_search(line.comment, flag))
        << line.file << ":" << line.number << ": a flag in a comment: " << line.comment;
  }
  EXPECT_GT(lines, 10000);  // the tree was read
}

TEST(OptionFlags, EveryOptionTheLibraryNamesHasARow) {
  const auto names = options_named_by_the_library();
  std::set<std::string> without_flag;
  for (const auto& row : app::options_without_flag()) without_flag.insert(row.option);
  int mapped = 0;
  for (const auto& [name, where] : names) {
    if (name.find('.') == std::string::npos) {
      // An environment variable (RANK, MASTER_PORT), which no flag sets.
      EXPECT_TRUE(std::regex_match(name, std::regex("[A-Z_]+"))) << name << " (" << where << ")";
      continue;
    }
    if (without_flag.count(name) != 0) {
      EXPECT_TRUE(app::flag_of(name).empty()) << name << " has a row and is listed without flag";
      continue;
    }
    EXPECT_FALSE(app::flag_of(name).empty())
        << name << " (" << where << ") has no row in app/option_flags.cpp";
    ++mapped;
  }
  EXPECT_GT(mapped, 100);
  // The list of options without a flag holds only names the library uses.
  for (const auto& option : without_flag) EXPECT_EQ(names.count(option), 1u) << option;
}

TEST(OptionFlags, EveryRowNamesAFlagOfTheCommandLine) {
  CommandLine line;
  const auto flags = line.all_flags();
  ASSERT_GT(flags.size(), 100u);
  std::set<std::string> options;
  for (const auto& row : app::option_flags()) {
    EXPECT_TRUE(options.insert(row.option).second) << row.option << " has two rows";
    EXPECT_EQ(flags.count(row.flag), 1u) << row.option << " -> " << row.flag << ": no such flag";
  }
}

TEST(OptionFlags, MessagesNameFlags) {
  EXPECT_EQ(
      app::describe_error(core::OptionError("Seq2SeqTrainOptions.epochs", "must be >= 1, got 0")),
      "--epochs: must be >= 1, got 0");
  // Names in the problem, and two names of one flag given once.
  EXPECT_EQ(app::describe_error(core::OptionError(
                "LowRankOptions.rank",
                "give LowRankOptions.rank, LowRankOptions.energy or LowRankOptions.budget")),
            "--rank: give --rank, --energy or --budget");
  EXPECT_EQ(app::with_flags("SceneOptions.width/SceneOptions.height: 64x32"), "--canvas: 64x32");
  EXPECT_EQ(app::with_flags("SearchOptions.max_length_a/SearchOptions.max_length_b"),
            "--max-length-a/--max-length-b");
  // Any error's text, and names without a row (or that only look like one) left as they are.
  EXPECT_EQ(app::describe_error(core::FileError("/tmp/x/model.ckpt",
                                                "written by "
                                                "LmTrainOptions.checkpoint_path")),
            "/tmp/x/model.ckpt: written by --checkpoint");
  EXPECT_EQ(app::describe_error(core::OptionError("DiFgsmOptions.resize_rate", "must be >= 1")),
            "DiFgsmOptions.resize_rate: must be >= 1");
  EXPECT_EQ(app::describe_error(core::OptionError("--model", "required")), "--model: required");
}

// Arguments that let each command start and fail fast on a missing file, so that running it
// in-process costs milliseconds; launch is left out (it starts processes).
const std::map<std::string, std::string> kRunArguments = {
    {"", "summary --arch lenet5"},
    {"train", "--arch lenet5 --data idx:/nonexistent -o x.ckpt"},
    {"eval", "--model missing.ckpt --data idx:/nonexistent"},
    {"predict", "--model missing.ckpt missing.png"},
    {"summary", "--arch lenet5"},
    {"export-images", "--data idx:/nonexistent -o out"},
    {"attack", "--model missing.ckpt --data idx:/nonexistent"},
    {"attack-eval", "--model missing.ckpt --input missing --labels missing"},
    {"certify", "--model missing.ckpt --data idx:/nonexistent --sigma 0.25"},
    {"robustness", "--model missing.ckpt --data idx:/nonexistent"},
    {"prune", "--model missing.ckpt -o x.ckpt"},
    {"factorize", "--model missing.ckpt --layers fc1 -o x.ckpt"},
    {"convert", "--model missing.ckpt -o x.ckpt"},
    {"quantize", "--model missing.ckpt -o x.nnz"},
    {"compress", "--model missing.ckpt -o x.nnz"},
    {"g2p train", "--train missing.dict -o m"},
    {"g2p eval", "-m missing.pt --test missing.dict"},
    {"g2p pronounce", "-m missing.pt word"},
    {"seq2seq train", "--train missing.tsv -o m"},
    {"seq2seq translate", "-m missing.pt --input missing.txt"},
    {"seq2seq eval", "-m missing.pt --test missing.tsv"},
    {"lm train", "--text missing.txt -o m"},
    {"lm eval", "-m missing.lm --text missing.txt"},
    {"lm generate", "-m missing.lm"},
    {"caption train", "--data idx:/nonexistent -o m"},
    {"caption eval", "-m missing.pt --data idx:/nonexistent"},
    {"caption describe", "-m missing.pt --data idx:/nonexistent"},
};

// The first flag an error message names ("--epochs: ..."); "" when it names none.
std::string first_flag(const std::string& message) {
  static const std::regex flag(R"((?:^|[^A-Za-z0-9-])(--[a-z0-9][a-z0-9-]*))");
  std::smatch m;
  return std::regex_search(message, m, flag) ? m[1].str() : std::string();
}

TEST(OptionFlags, EveryCommandNamesItsOwnFlags) {
  const auto dir = scratch_dir("option_flags_run");
  const auto cwd = fs::current_path();
  fs::current_path(dir);  // whatever a command writes lands here
  int runs = 0, option_errors = 0;
  for (const auto& [command, required] : commands_and_required_arguments()) {
    if (command == "launch") continue;
    ASSERT_EQ(kRunArguments.count(command), 1u) << command;
    const auto own_flags = CommandLine().flags_of(command);
    for (const auto& flag : numeric_flags(CommandLine().help(command))) {
      // Past each edge (refused by the flag's domain), on each closed edge and just inside an
      // open one (accepted by the domain, perhaps refused by the library).
      std::vector<std::string> values = bad_values(flag);
      if (std::isfinite(flag.lo)) values.push_back(format(flag.lo_open ? flag.lo + 1 : flag.lo));
      if (std::isfinite(flag.hi)) values.push_back(format(flag.hi_open ? flag.hi - 1 : flag.hi));
      for (const auto& value : values) {
        const std::string args =
            command.empty()
                ? flag.name + "=" + value + " -q " + kRunArguments.at(command)
                : command + " " + flag.name + "=" + value + " -q " + kRunArguments.at(command);
        CommandLine line;
        std::string message;
        try {
          ++runs;
          line.app.parse(args, /*program_name_included=*/false);
          continue;  // accepted, and the command ran
        } catch (const CLI::ParseError& e) {
          message = e.what();
        } catch (const core::OptionError& e) {
          ++option_errors;
          message = app::describe_error(e);
        } catch (const std::exception& e) {
          continue;  // accepted; the command stopped at its missing file
        }
        const auto named = first_flag(message);
        EXPECT_FALSE(named.empty()) << args << ": " << message;
        EXPECT_EQ(own_flags.count(named), 1u)
            << args << ": names " << named << ", not a flag of '" << command << "': " << message;
      }
    }
  }
  fs::current_path(cwd);
  data::set_max_image_pixels(data::kDefaultMaxImagePixels);  // a global flag above set it
  EXPECT_GT(runs, 500);
  EXPECT_GT(option_errors, 0);
  std::cout << runs << " runs, " << option_errors << " option errors\n";
}

TEST(OptionFlags, TheBinaryNamesTheFlagOfALibraryError) {
  const auto dir = trained_lenet300("option_flags_binary", 1);
  const std::string model = " --model " + dir + "/d.ckpt";
  const std::string data = " --data idx:" + dir + "/data";
  // PGD's norm is checked by the library (AttackOptions.norm).
  expect_clean_error(
      run_nnlab("attack --method pgd --steps 2" + model + data + " --limit 8 --norm l7"),
      "nnlab: error: --norm: unknown norm 'l7'");
  // A problem that names other options names their flags.
  expect_clean_error(run_nnlab("factorize" + model + " --layers fc1 -o " + dir + "/f.ckpt"),
                     "nnlab: error: --rank: give --rank, --energy or --budget");
  expect_clean_error(
      run_nnlab("train --arch lenet300" + data + " --optimizer rmsprop -o " + dir + "/t.ckpt"),
      "nnlab: error: --optimizer: ", "rmsprop");
}

}  // namespace
}  // namespace nnlab::testing
