// nnlab robustness: the one-page evaluation a reviewer asks for - clean accuracy, AutoAttack's
// robust accuracy with its per-stage breakdown, PGD-20 beside it, timing and precision - as a
// table, JSON and an HTML report. The work is attack::evaluate_robustness.
#include "commands/commands.h"
#include "flag_domains.h"
#include "model_flags.h"
#include "nnlab/attack/robustness_evaluation.h"
#include "nnlab/core/atomic_file.h"
#include "nnlab/core/error.h"
#include "nnlab/data/data_spec.h"
#include "nnlab/data/image_io.h"
#include "nnlab/report/provenance.h"
#include "nnlab/report/table.h"
#include "nnlab/train/process_group.h"

namespace nnlab::app {

namespace {

struct RobustnessCommandOptions {
  ModelFlags model;
  std::string data;  // empty: fashion-mnist for a 1x28x28 model
  attack::RobustnessOptions evaluation;
  bool no_round = false;
  std::int64_t limit = 0;
  std::string report;  // HTML file
};

void run_robustness(const RobustnessCommandOptions& options, const GlobalOptions& global) {
  const core::ExecutionContext context = start(global);
  auto evaluation = options.evaluation;
  evaluation.attack.round_to_8bit = !options.no_round;
  evaluation.attack.seed = static_cast<std::uint64_t>(global.runtime.seed);
  evaluation.context = context;
  evaluation.progress = !global.quiet;
  auto model = load_model_from_flags(options.model, context);
  const auto& mi = model.info();
  auto set = data::load_data(data_spec_for(mi, options.data), data_options_for(mi)).test;
  if (options.limit > 0) set = set.head(options.limit);
  set.images = data::quantize_to_8bit(set.images);
  const auto group = train::ProcessGroup::join_from_environment(global.dist_timeout);
  evaluation.group = group.get();
  const auto result = attack::evaluate_robustness(model, set, evaluation);
  if (!result.reports) return;

  auto json = result.to_json(evaluation);
  json["arch"] = mi.arch;
  json["data"] = set.source;
  const auto table = attack::robustness_table(result, evaluation);
  if (!options.report.empty()) {
    attack::AttackReport report_data;
    report_data.method = "AutoAttack (" + evaluation.attack.autoattack.version + ")";
    report_data.arch = mi.arch;
    report_data.source = set.source;
    report_data.runs = {result.autoattack};
    report_data.clean = set.images;
    report_data.adversarial = result.adversarial;
    report_data.labels = set.labels;
    report_data.class_names = mi.class_names.empty() ? set.class_names : mi.class_names;
    report_data.summary_html = "<h2>Robustness at epsilon " + report::fixed(evaluation.epsilon, 1) +
                               " (" + evaluation.attack.norm + ")</h2>\n" + table.to_html();
    core::write_text_atomically(
        options.report,
        report::with_provenance_section(attack::render_attack_report(model, report_data),
                                        core::provenance(context)));
    json["report"] = options.report;
  }
  const std::string human = "robustness of " + mi.arch + " on " + std::to_string(set.size()) +
                            " images of " + set.source + ", epsilon " +
                            report::fixed(evaluation.epsilon, 1) + " (" + evaluation.attack.norm +
                            ", " + core::to_string(context.precision) + ", " +
                            std::to_string(context.threads) + " threads)\n" + table.render();
  emit(global, context, json, human);
}

}  // namespace

void setup_robustness(CLI::App& app, GlobalOptions& global) {
  auto options = std::make_shared<RobustnessCommandOptions>();
  auto* command = app.add_subcommand(
      "robustness", "clean accuracy, AutoAttack robust accuracy by stage, and PGD-20 beside it");
  add_model_flags(*command, options->model);
  auto& e = options->evaluation;
  auto& a = e.attack;
  command->add_option(
      "--data", options->data,
      "fashion-mnist | idx:DIR | folder:DIR (test split; default fashion-mnist for a "
      "1x28x28 model)");
  command->add_option("-e,--epsilon", e.epsilon, "budget in 0-255 pixel units")
      ->check(domain::range(0, 255))
      ->capture_default_str();
  command->add_option("--norm", a.norm, "linf | l2")->capture_default_str();
  command
      ->add_option("--aa-version", a.autoattack.version,
                   "standard (APGD-CE, APGD-T, FAB-T, Square) | rand (APGD-CE and APGD-DLR with "
                   "EOT) | custom (--aa-attacks)")
      ->capture_default_str();
  command
      ->add_option("--aa-attacks", a.autoattack.attacks,
                   "--aa-version custom: the attacks to run in sequence, e.g. apgd,square")
      ->delimiter(',');
  command->add_option("--aa-steps", a.autoattack.steps, "APGD and FAB iterations")
      ->check(domain::positive())
      ->capture_default_str();
  command->add_option("--pgd-steps", e.pgd_steps, "steps of the PGD run beside AutoAttack")
      ->check(domain::positive())
      ->capture_default_str();
  command->add_option("--limit", options->limit, "the first N test images")
      ->check(domain::non_negative());
  command->add_option("--batch-size", a.batch_size)
      ->check(domain::positive())
      ->capture_default_str();
  command->add_flag("--no-round", options->no_round, "real-valued attacks (not 8-bit images)");
  command->add_option(
      "-o,--output", e.output,
      "folder for each attack's metrics.json and per_image.csv (pgd/, autoattack/)");
  command->add_option("--report", options->report, "also write a self-contained HTML report");
  command->callback([options, &global] { run_robustness(*options, global); });
}

}  // namespace nnlab::app
