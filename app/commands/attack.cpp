// nnlab attack: adversarial examples for a folder in the task layout (written as 8-bit PNGs and
// scored from the files read back) or for an in-memory data set such as Fashion-MNIST; one or
// several budgets (--epsilon 0,2,4,8 sweeps and prints the robustness curve). The work is
// attack::run_folder_attack / run_attack_sweep; this file binds flags, checks their combinations
// and prints. Longer than 100 lines because it binds 20 flags (80 lines) and its one-line errors
// for flag combinations (--input/--data, --output, --target given) name the flags.
#include <cmath>
#include <sstream>

#include "commands/commands.h"
#include "flag_domains.h"
#include "model_flags.h"
#include "nnlab/attack/batch_size.h"
#include "nnlab/attack/folder_attack.h"
#include "nnlab/core/atomic_file.h"
#include "nnlab/core/error.h"
#include "nnlab/core/memory.h"
#include "nnlab/data/data_spec.h"
#include "nnlab/data/image_io.h"
#include "nnlab/report/provenance.h"
#include "nnlab/report/table.h"
#include "nnlab/train/process_group.h"

namespace nnlab::app {

namespace {

struct AttackCommandOptions {
  ModelFlags model;
  std::string method = "fgsm";
  std::string input;
  std::string data;
  std::string output;
  std::string epsilons = "8";
  double step_size = 0;           // 0-255 units; 0: the method's default
  attack::AttackSettings attack;  // the shared options and each method's own
  std::string target = "none";    // none | given | least-likely | random
  bool no_round = false;
  std::int64_t limit = 0;
  std::int64_t label_offset = 0;
  std::string defenses;  // median:3,bits:4,jpeg:75
  std::string report;    // HTML file
  // Also attack through each defense (BPDA, EOT).
  bool adaptive = false;
  std::int64_t batch_size = 0;  // 0: by the model's input size (attack::default_batch_size)
};

void run_attack(const AttackCommandOptions& options, const GlobalOptions& global) {
  const core::ExecutionContext context = start(global);
  attack::AttackSweepOptions sweep;
  sweep.epsilons =
      domain::number_list("--epsilon", options.epsilons, 0, 255, "pixel units; 8 means 8/255");
  const bool folder = !options.input.empty();
  if (folder == !options.data.empty()) {
    throw core::OptionError(
        "--input", "give either --input DIR (image folder) or --data SPEC (in-memory data set)");
  }
  if (folder && options.output.empty())
    throw core::OptionError("--output", "required with --input");
  if (folder && (attack::same_folder(options.input, options.output) ||
                 attack::same_folder(options.input + "/images", options.output))) {
    throw core::OptionError(
        "--output", "'" + options.output +
                        "' is the input folder; adversarial images would overwrite the originals");
  }
  if (!folder && options.target == "given")
    throw core::OptionError("--target", "'given' needs --input with a TargetClass column");
  sweep.method = options.method;
  sweep.attack = options.attack;
  sweep.attack.round_to_8bit = !options.no_round;
  sweep.attack.seed = static_cast<std::uint64_t>(global.runtime.seed);
  sweep.step_size = options.step_size;
  sweep.target = options.target;
  sweep.output = options.output;
  sweep.context = context;
  // The registry validates the method and its settings before any work.
  attack::make_attack(options.method, options.attack);
  sweep.defenses = attack::parse_defenses(options.defenses, sweep.attack.seed);
  if (options.adaptive && sweep.defenses.empty())
    throw core::OptionError("--adaptive", "needs --defense: the defenses to attack through");
  sweep.adaptive = options.adaptive;
  auto model = load_model_from_flags(options.model, context);
  // The model file's parse buffers are garbage the attack's activations cannot reuse, and the
  // binary's jemalloc keeps freed pages (app/malloc_conf.cpp): give them back once, here.
  core::release_free_memory();
  const auto& mi = model.info();
  sweep.attack.batch_size = options.batch_size > 0
                                ? options.batch_size
                                : attack::default_batch_size(mi.in_channels, mi.height, mi.width);
  sweep.progress = !global.quiet;
  // Several processes (nnlab launch, torchrun, ...): each attacks its share of the images.
  const auto group = train::ProcessGroup::join_from_environment(global.dist_timeout);
  sweep.group = group.get();

  data::Dataset set;
  attack::AttackSweepResult result;
  if (folder) {
    auto run = attack::run_folder_attack(model, {options.input, options.label_offset, sweep});
    set = std::move(run.clean);
    result = std::move(run.sweep);
  } else {
    set = data::load_data(options.data, data_options_for(mi)).test;
    if (options.limit > 0) set = set.head(options.limit);
    // 8-bit data: the clean images are already on the grid.
    set.images = data::quantize_to_8bit(set.images);
    result = attack::run_attack_sweep(model, set, sweep);
  }
  if (!result.reports) return;  // rank 0 reports

  nlohmann::json json = {{"method", options.method}, {"arch", mi.arch}, {"runs", result.runs_json}};
  if (result.runs_json.size() == 1) {
    for (auto& [key, value] : result.runs_json[0].items()) json[key] = value;
  }
  if (!options.report.empty()) {
    attack::AttackReport report_data;
    report_data.method = options.method;
    report_data.arch = mi.arch;
    report_data.source = set.source;
    report_data.runs = result.runs;
    report_data.clean = set.images;
    report_data.adversarial = result.adversarial;
    report_data.labels = set.labels;
    report_data.class_names = mi.class_names.empty() ? set.class_names : mi.class_names;
    core::write_text_atomically(
        options.report,
        report::with_provenance_section(attack::render_attack_report(model, report_data),
                                        core::provenance(context)));
    json["report"] = options.report;
  }
  std::string human = options.method + " on " + std::to_string(set.size()) + " images of " +
                      set.source + " (" + mi.arch + ")\n" +
                      attack::sweep_curve_table(result.runs).render();
  if (!result.runs.empty() && !result.runs.back().stages.empty()) {
    human += "\nstages (each on the images every earlier one failed on)\n" +
             attack::sweep_stage_table(result.runs).render();
  }
  if (!sweep.defenses.empty()) {
    human +=
        "\npassive defenses in front of " + mi.arch + " (examples made on the undefended model" +
        (options.adaptive ? "; adaptive acc: the attack run against defense + model, BPDA" : "") +
        ")\n" + attack::sweep_defense_table(result.runs).render();
  }
  // The whole process's peak, after the last batch: what the machine needs for this job.
  json["peak_memory_mb"] = core::peak_memory_mb();
  std::ostringstream peak;
  peak << "\npeak memory " << std::lround(core::peak_memory_mb()) << " MB\n";
  human += peak.str();
  emit(global, context, json, human);
}

// "fgsm | ifgsm | ...": every registered attack.
std::string method_list() {
  std::string list;
  for (const auto& name : attack::attack_names()) list += (list.empty() ? "" : " | ") + name;
  return list;
}

}  // namespace

void setup_attack(CLI::App& app, GlobalOptions& global) {
  auto options = std::make_shared<AttackCommandOptions>();
  auto* command = app.add_subcommand(
      "attack", "adversarial examples: FGSM, I-FGSM, PGD, MI-FGSM, DI-FGSM, C&W, DeepFool");
  add_model_flags(*command, options->model);
  auto& a = options->attack;
  command->add_option("--method", options->method, method_list())->capture_default_str();
  command->add_option("-i,--input", options->input,
                      "image folder in the task layout (images/, labels.csv)");
  command->add_option("--data", options->data,
                      "or an in-memory data set: fashion-mnist | idx:DIR (test split)");
  command->add_option("-o,--output", options->output,
                      "output folder: adversarial PNGs, metrics.json, per_image.csv");
  command
      ->add_option("-e,--epsilon", options->epsilons,
                   "budget(s) in 0-255 pixel units, e.g. 8 or 0,2,4,8,16")
      ->check(domain::each_of_list(domain::range(0, 255)))
      ->capture_default_str();
  command->add_option("--steps", a.steps, "iterations of iterative attacks")
      ->check(domain::positive())
      ->capture_default_str();
  command
      ->add_option("--step-size", options->step_size, "step in 0-255 units (default: the method's)")
      ->check(domain::range(0, 255));
  command->add_option("--restarts", a.pgd.restarts, "PGD, APGD and FAB random restarts")
      ->check(domain::positive())
      ->capture_default_str();
  command->add_option("--norm", a.norm, "PGD, APGD and FAB norm: linf | l2")->capture_default_str();
  command->add_option("--loss", a.loss, "the loss gradient attacks ascend: ce | dlr | margin")
      ->capture_default_str();
  command
      ->add_option("--target-classes", a.apgd.target_classes,
                   "apgd-t, fab-t: attack toward the N most likely wrong classes (default 9, or "
                   "every wrong class of a model with fewer)")
      ->check(domain::positive());
  command
      ->add_option("--eot-iter", a.apgd.eot_iter,
                   "APGD: gradients averaged over N passes (randomized models, defenses)")
      ->check(domain::positive())
      ->capture_default_str();
  command
      ->add_option("--aa-version", a.autoattack.version,
                   "autoattack: standard (APGD-CE, APGD-T, FAB-T, Square) | rand (APGD-CE and "
                   "APGD-DLR with EOT, for randomized defenses) | custom (--aa-attacks)")
      ->capture_default_str();
  command
      ->add_option(
          "--aa-attacks", a.autoattack.attacks,
          "autoattack --aa-version custom: the attacks to run in sequence, e.g. apgd,square")
      ->delimiter(',');
  command->add_option("--aa-steps", a.autoattack.steps, "autoattack: APGD and FAB iterations")
      ->check(domain::positive())
      ->capture_default_str();
  command
      ->add_option("--queries", a.square.queries,
                   "square: model queries per image (and restart), the first included")
      ->check(domain::positive())
      ->capture_default_str();
  command
      ->add_option("--p-init", a.square.p_init,
                   "square: the share of the image its first windows cover, in (0, 1]")
      ->check(domain::range(0, 1, /*lo_open=*/true))
      ->capture_default_str();
  command->add_flag("!--no-random-start", a.pgd.random_start, "PGD without the random start");
  command->add_option("--decay", a.mifgsm.decay, "MI-FGSM momentum decay")
      ->check(domain::non_negative())
      ->capture_default_str();
  command->add_option("--cw-c", a.cw.c, "C&W initial trade-off constant")
      ->check(domain::positive())
      ->capture_default_str();
  command->add_option("--cw-steps", a.cw.steps, "C&W optimization steps")
      ->check(domain::positive())
      ->capture_default_str();
  command
      ->add_option("--max-queries", a.hsj.max_queries,
                   "hsj: model queries per image (a decision-based attack's budget)")
      ->check(domain::positive())
      ->capture_default_str();
  command->add_option("--hsj-iterations", a.hsj.iterations, "hsj: most iterations per image")
      ->check(domain::positive())
      ->capture_default_str();
  command
      ->add_option("--target", options->target,
                   "none | given (labels.csv TargetClass) | least-likely | random")
      ->capture_default_str();
  command->add_flag("--no-round", options->no_round,
                    "do not make iterative attacks rounding-aware");
  command
      ->add_option("--batch-size", options->batch_size,
                   "images per forward/backward (default: by the input size, 64 for 28x28 and "
                   "32x32, 16 for 3x224x224)")
      ->check(domain::positive());
  command->add_option("--limit", options->limit, "--data: the first N test images")
      ->check(domain::non_negative());
  command->add_option("--report", options->report,
                      "also write a self-contained HTML report (metrics, curve, examples)");
  command->add_option("--defense", options->defenses,
                      "also score passive defenses: median:K, bits:B, jpeg:Q, noise:S "
                      "(comma-separated)");
  command->add_flag("--adaptive", options->adaptive,
                    "also attack through each --defense (BPDA; random ones: EOT with apgd's "
                    "--eot-iter) and score it on those images");
  command
      ->add_option("--label-offset", options->label_offset,
                   "subtract from labels.csv values (1 for 1-based ImageNet labels)")
      ->check(domain::non_negative());
  command->callback([options, &global] { run_attack(*options, global); });
}

}  // namespace nnlab::app
