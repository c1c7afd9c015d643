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
#include "commands/commands.h"

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

  CLI::App app{"nnlab: compress, attack and harden neural networks; train seq2seq models"};
  app.require_subcommand(1);
  app.fallthrough();  // global flags after the subcommand too: nnlab train ... --json
  app.set_version_flag("--version", "nnlab 0.1.0");
  nnlab::app::GlobalOptions global;
  app.add_option("--device", global.runtime.device, "auto, cpu, cuda or cuda:N")
      ->capture_default_str();
  app.add_option("--threads", global.runtime.threads, "intra-op threads (0: all cores)")
      ->capture_default_str();
  app.add_option("--seed", global.runtime.seed, "seed for every random choice")
      ->capture_default_str();
  app.add_flag("--json", global.json, "print one JSON object with the results on stdout");
  app.add_flag("-q,--quiet", global.quiet, "no progress bars or informational lines");
  app.add_option("--dist-timeout", global.dist_timeout,
                 "multi-process runs: seconds a rendezvous or collective may wait for a peer "
                 "before failing (default: NNLAB_DIST_TIMEOUT, else 300)")
      ->check(CLI::PositiveNumber);

  nnlab::app::setup_train(app, global);
  nnlab::app::setup_eval(app, global);
  nnlab::app::setup_predict(app, global);
  nnlab::app::setup_summary(app, global);
  nnlab::app::setup_export(app, global);
  nnlab::app::setup_attack(app, global);
  nnlab::app::setup_attack_eval(app, global);
  nnlab::app::setup_prune(app, global);
  nnlab::app::setup_factorize(app, global);
  nnlab::app::setup_convert(app, global);
  nnlab::app::setup_quantize(app, global);
  nnlab::app::setup_compress(app, global);
  nnlab::app::setup_g2p(app, global);
  nnlab::app::setup_seq2seq(app, global);
  nnlab::app::setup_lm(app, global);
  nnlab::app::setup_caption(app, global);
  nnlab::app::setup_launch(app, global);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  } catch (const c10::Error& e) {
    std::cerr << "nnlab: error: " << first_line(e.msg()) << std::endl;
    return 1;
  } catch (const std::exception& e) {
    std::cerr << "nnlab: error: " << first_line(e.what()) << std::endl;
    return 1;
  }
  return 0;
}
