// Every subcommand: setup_<name>(app, global) adds it to the CLI and binds its flags to an
// options struct; its callback calls the library and prints through emit().
#pragma once

#include "cli_common.h"

namespace nnlab::app {

void setup_train(CLI::App& app, GlobalOptions& global);
void setup_eval(CLI::App& app, GlobalOptions& global);
void setup_predict(CLI::App& app, GlobalOptions& global);
void setup_summary(CLI::App& app, GlobalOptions& global);
void setup_export(CLI::App& app, GlobalOptions& global);
void setup_attack(CLI::App& app, GlobalOptions& global);
void setup_attack_eval(CLI::App& app, GlobalOptions& global);
void setup_robustness(CLI::App& app, GlobalOptions& global);
void setup_certify(CLI::App& app, GlobalOptions& global);
void setup_prune(CLI::App& app, GlobalOptions& global);
void setup_factorize(CLI::App& app, GlobalOptions& global);
void setup_convert(CLI::App& app, GlobalOptions& global);
void setup_quantize(CLI::App& app, GlobalOptions& global);
void setup_compress(CLI::App& app, GlobalOptions& global);
void setup_g2p(CLI::App& app, GlobalOptions& global);
void setup_seq2seq(CLI::App& app, GlobalOptions& global);
void setup_lm(CLI::App& app, GlobalOptions& global);
void setup_caption(CLI::App& app, GlobalOptions& global);
void setup_launch(CLI::App& app, GlobalOptions& global);

}  // namespace nnlab::app
