#include "command_line.h"

#include "commands/commands.h"
#include "flag_domains.h"

namespace nnlab::app {

void setup_command_line(CLI::App& app, GlobalOptions& global) {
  app.require_subcommand(1);
  app.fallthrough();  // global flags after the subcommand too: nnlab train ... --json
  app.set_version_flag("--version", "nnlab 0.1.0");
  app.failure_message([](const CLI::App*, const CLI::Error& e) {
    return "nnlab: error: " + std::string(e.what()) + "\n";
  });
  app.add_option("--device", global.runtime.device, "auto, cpu, cuda or cuda:N")
      ->capture_default_str();
  app.add_option(
         "--precision", global.runtime.precision,
         "arithmetic of the models: fp32, bf16 (mixed: bf16 matrix products and convolutions, "
         "fp32 weights and images) or auto (bf16 where the device has bf16 hardware)")
      ->capture_default_str();
  app.add_option("--threads", global.runtime.threads, "intra-op threads (0: all cores)")
      ->check(domain::non_negative())
      ->capture_default_str();
  app.add_option("--seed", global.runtime.seed, "seed for every random choice")
      ->check(domain::non_negative())
      ->capture_default_str();
  app.add_option("--max-image-pixels", global.max_image_pixels,
                 "refuse image files that declare more pixels (read from the header, before "
                 "decoding)")
      ->check(domain::positive())
      ->capture_default_str();
  app.add_flag("--json", global.json, "print one JSON object with the results on stdout");
  app.add_flag("-q,--quiet", global.quiet, "no progress bars or informational lines");
  app.add_option("--dist-timeout", global.dist_timeout,
                 "multi-process runs: seconds a rendezvous or collective may wait for a peer "
                 "before failing (default: NNLAB_DIST_TIMEOUT, else 300)")
      ->check(domain::positive());

  setup_train(app, global);
  setup_eval(app, global);
  setup_predict(app, global);
  setup_summary(app, global);
  setup_export(app, global);
  setup_attack(app, global);
  setup_attack_eval(app, global);
  setup_robustness(app, global);
  setup_certify(app, global);
  setup_prune(app, global);
  setup_factorize(app, global);
  setup_convert(app, global);
  setup_quantize(app, global);
  setup_compress(app, global);
  setup_g2p(app, global);
  setup_seq2seq(app, global);
  setup_lm(app, global);
  setup_caption(app, global);
  setup_launch(app, global);
}

}  // namespace nnlab::app
