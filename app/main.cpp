// nnlab: one command-line tool over the nnlab library. Parses flags, hands them to the
// subcommand, and turns every exception into one line on stderr and a non-zero exit.
#include <c10/util/Exception.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <exception>
#include <iostream>
#include <string>

#include "cli_common.h"
#include "command_line.h"
#include "nnlab/core/temp_files.h"
#include "option_flags.h"

namespace {

// The OpenMP runtime reads OMP_WAIT_POLICY when it loads, before main. Spinning worker threads
// fight OpenBLAS's and our own on small machines (measured in docs/BENCHMARKS.md), so unless the
// user chose a policy we re-execute once with PASSIVE set.
void ensure_passive_openmp_wait(char** argv) {
  if (std::getenv("OMP_WAIT_POLICY") != nullptr) return;
  ::setenv("OMP_WAIT_POLICY", "PASSIVE", 1);
  ::execv("/proc/self/exe", argv);
  // execv failed (no /proc): go on with the runtime's default policy.
}

// One line per error: LibTorch's messages carry a backtrace after the first line.
std::string first_line(const std::string& message) {
  const auto end = message.find('\n');
  return end == std::string::npos ? message : message.substr(0, end);
}

}  // namespace

int main(int argc, char** argv) {
  ensure_passive_openmp_wait(argv);
  // SIGTERM, SIGINT, SIGHUP: unfinished outputs are removed, one line is printed.
  nnlab::core::remove_temporaries_on_signals();

  CLI::App app{"nnlab: compress, attack and harden neural networks; train seq2seq models"};
  nnlab::app::GlobalOptions global;
  nnlab::app::setup_command_line(app, global);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // --help and --version are ParseErrors with status 0; a bad flag is one line and status 1,
    // like every other error (CLI11's own codes, 100-115, would tell callers nothing more).
    const int status = app.exit(e);
    return status == 0 ? 0 : 1;
  } catch (const c10::Error& e) {
    std::cerr << "nnlab: error: " << first_line(e.msg()) << std::endl;
    return 1;
  } catch (const std::exception& e) {
    // Library errors name options ("Seq2SeqTrainOptions.epochs"); the user reads the flag.
    std::cerr << "nnlab: error: " << first_line(nnlab::app::describe_error(e)) << std::endl;
    return 1;
  }
  return 0;
}
