// nnlab attack: adversarial examples for a folder in the task layout (written as 8-bit PNGs and
// scored from the files read back) or for an in-memory data set such as Fashion-MNIST; one or
// several budgets (--epsilon 0,2,4,8 sweeps and prints the robustness curve).
#include <torch/torch.h>

#include <filesystem>
#include <optional>
#include <sstream>

#include "commands/commands.h"
#include "flag_domains.h"
#include "model_flags.h"
#include "nnlab/attack/attack_report.h"
#include "nnlab/attack/attack_set.h"
#include "nnlab/attack/input_defense.h"
#include "nnlab/attack/metrics.h"
#include "nnlab/attack/registry.h"
#include "nnlab/attack/targets.h"
#include "nnlab/core/atomic_file.h"
#include "nnlab/core/error.h"
#include "nnlab/core/staged_directory.h"
#include "nnlab/data/data_spec.h"
#include "nnlab/data/image_folder.h"
#include "nnlab/data/image_io.h"
#include "nnlab/report/provenance.h"
#include "nnlab/report/table.h"
#include "nnlab/train/process_group.h"

namespace nnlab::app {

namespace fs = std::filesystem;

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
};

std::vector<double> parse_epsilons(const std::string& text) {
  std::vector<double> out;
  std::stringstream in(text);
  std::string item;
  while (std::getline(in, item, ',')) {
    double value = 0;
    try {
      size_t used = 0;
      value = std::stod(item, &used);
      if (used != item.size()) throw std::invalid_argument(item);
    } catch (const std::exception&) {
      throw core::OptionError("--epsilon",
                              "expected numbers in 0-255 pixel units, got '" + item + "'");
    }
    if (!(value >= 0 && value <= 255)) {
      throw core::OptionError("--epsilon",
                              "must be in [0, 255] (pixel units; 8 means 8/255), got " + item);
    }
    out.push_back(value);
  }
  if (out.empty()) throw core::OptionError("--epsilon", "no value given");
  return out;
}

std::string epsilon_name(double e) {
  std::ostringstream out;
  out << e;
  return out.str();
}

bool same_folder(const std::string& a, const std::string& b) {
  std::error_code ignored;
  return fs::weakly_canonical(a, ignored) == fs::weakly_canonical(b, ignored);
}

void run_attack(const AttackCommandOptions& options, const GlobalOptions& global) {
  const core::ExecutionContext context = start(global);
  const auto epsilons = parse_epsilons(options.epsilons);
  if (options.input.empty() == options.data.empty()) {
    throw core::OptionError(
        "--input", "give either --input DIR (image folder) or --data SPEC (in-memory data set)");
  }
  if (!options.input.empty() && options.output.empty())
    throw core::OptionError("--output", "required with --input");
  if (!options.input.empty() && (same_folder(options.input, options.output) ||
                                 same_folder(options.input + "/images", options.output))) {
    throw core::OptionError(
        "--output", "'" + options.output +
                        "' is the input folder; adversarial images would overwrite the originals");
  }
  // The registry validates the method and its settings before any work.
  attack::make_attack(options.method, options.attack);
  const auto defenses = attack::parse_defenses(options.defenses);
  auto model = load_model_from_flags(options.model, context);
  const auto& mi = model.info();

  // The images, labels, file names.
  data::Dataset set;
  std::vector<std::optional<std::int64_t>> given_targets;
  if (!options.input.empty()) {
    data::ImageFolderOptions folder_options;
    folder_options.num_classes = mi.num_classes;
    folder_options.label_offset = options.label_offset;
    const auto folder = data::scan_image_folder(options.input, folder_options);
    std::vector<std::string> paths;
    for (const auto& record : folder.records) {
      paths.push_back(record.path);
      given_targets.push_back(record.target);
      set.files.push_back(fs::path(record.file).replace_extension(".png").string());
    }
    if (paths.empty()) throw core::FileError(options.input, "holds no images");
    set.images =
        data::load_images_of_size(paths, static_cast<int>(mi.in_channels), mi.height, mi.width);
    std::vector<std::int64_t> labels;
    for (const auto& record : folder.records) labels.push_back(record.label);
    set.labels = torch::tensor(labels, torch::kLong);
    set.class_names = folder.class_names;
    set.source = options.input;
  } else {
    const auto data_options = data_options_for(mi);
    set = data::load_data(options.data, data_options).test;
    if (options.limit > 0) set = set.head(options.limit);
    // 8-bit data: the clean images are already on the grid.
    set.images = data::quantize_to_8bit(set.images);
  }

  // Targets for a targeted attack.
  torch::Tensor targets;
  attack::AttackSettings attack_options = options.attack;
  attack_options.round_to_8bit = !options.no_round;
  attack_options.seed = static_cast<std::uint64_t>(global.runtime.seed);
  if (options.target != "none") {
    attack_options.targeted = true;
    if (options.target == "given") {
      std::vector<std::int64_t> t;
      for (size_t i = 0; i < given_targets.size(); ++i) {
        if (!given_targets[i]) {
          throw core::FileError(options.input + "/labels.csv",
                                "--target given needs a TargetClass for every image");
        }
        t.push_back(*given_targets[i] - options.label_offset);
      }
      if (t.empty())
        throw core::OptionError("--target", "'given' needs --input with a TargetClass column");
      targets = torch::tensor(t, torch::kLong);
    } else {
      targets =
          attack::choose_targets(model, set.images, set.labels,
                                 attack::parse_target_mode(options.target), global.runtime.seed);
    }
  }

  nlohmann::json json = {
      {"method", options.method}, {"arch", mi.arch}, {"runs", nlohmann::json::array()}};
  report::Table curve({"epsilon", "clean acc", "adv acc", "success", "mean Linf", "max Linf",
                       "mean L2", "seconds"});
  report::Table defense_table({"epsilon", "defense", "clean acc", "adv acc"});
  attack::AttackReport report_data;
  report_data.method = options.method;
  report_data.arch = mi.arch;
  report_data.source = set.source;
  // Clean accuracy behind each defense: the same for every budget.
  std::vector<double> defended_clean;
  for (const auto& defense : defenses) {
    defended_clean.push_back(attack::defended_accuracy(model, defense, set.images, set.labels,
                                                       options.attack.batch_size));
  }
  // Several processes (nnlab launch, torchrun, ...): each attacks its share of the images.
  const auto group = train::ProcessGroup::join_from_environment(global.dist_timeout);
  const bool reports = !group || group->rank() == 0;
  torch::Tensor clean_logits;
  // The output folder is built aside and put in place whole at the end (docs/FORMAT.md): a
  // failure or a SIGTERM half-way leaves the previous folder, or none, never a part of one.
  std::optional<core::StagedDirectory> staged;
  if (reports && !options.output.empty()) {
    staged.emplace(options.output, std::vector<std::string>{"metrics.json", "curve.csv"});
  }
  const std::string output_root = staged ? staged->path() : options.output;
  try {
    for (const double eps255 : epsilons) {
      attack_options.epsilon = eps255 / 255.0;
      attack_options.step_size = options.step_size / 255.0;
      auto method = attack::make_attack(options.method, attack_options);
      const auto started = std::chrono::steady_clock::now();
      attack::AttackSetOptions set_options;
      set_options.batch_size = options.attack.batch_size;
      set_options.progress = !global.quiet && reports;
      set_options.label = options.method + " eps " + epsilon_name(eps255);
      set_options.clean_logits = clean_logits;
      auto attacked =
          group ? attack::attack_set(*method, model, set.images, set.labels, targets, set_options,
                                     *group)
                : attack::attack_set(*method, model, set.images, set.labels, targets, set_options);
      clean_logits = attacked.clean_logits;  // the same for every budget
      if (!reports) continue;                // rank 0 scores, writes and reports
      // Already on the grid when rounding-aware (pixel_grid rounds with this same rule, so this
      // changes nothing); with --no-round, the real-valued results rounded as they are saved.
      auto adversarial = data::quantize_to_8bit(attacked.adversarial);

      std::string out_dir = output_root;
      if (!out_dir.empty() && epsilons.size() > 1) out_dir += "/eps_" + epsilon_name(eps255);
      attack::AttackScores scores;
      if (!options.input.empty()) {
        // Write every image, then score what was written: the files read back from disk.
        core::make_directories(out_dir);
        std::vector<std::string> written;
        for (std::int64_t i = 0; i < set.size(); ++i) {
          written.push_back(out_dir + "/" + set.files[static_cast<size_t>(i)]);
          data::save_image(written.back(), adversarial[i]);
        }
        adversarial = data::load_images_of_size(written, static_cast<int>(mi.in_channels),
                                                mi.height, mi.width);
      }
      scores = attack::score_attack(model, set.images, adversarial, set.labels, set.files,
                                    options.attack.batch_size, attacked.clean_logits);
      const double seconds =
          std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
      auto run = scores.to_json();
      run["method"] = options.method;
      run["arch"] = mi.arch;
      run["epsilon"] = eps255;
      run["seconds"] = seconds;
      // Passive defenses in front of the same model, against these (undefended-model) examples.
      run["defenses"] = nlohmann::json::array();
      attack::AttackReportRun report_run{eps255, seconds, scores, {}};
      for (size_t d = 0; d < defenses.size(); ++d) {
        const auto& defense = defenses[d];
        const auto clean = defended_clean[d];
        const auto adv = attack::defended_accuracy(model, defense, adversarial, set.labels,
                                                   options.attack.batch_size);
        run["defenses"].push_back(
            {{"defense", defense.spec}, {"clean_accuracy", clean}, {"adversarial_accuracy", adv}});
        defense_table.add_row(
            {epsilon_name(eps255), defense.spec, report::percent(clean), report::percent(adv)});
        report_run.defenses.push_back({defense.spec, clean, adv});
      }
      report_data.runs.push_back(std::move(report_run));
      report_data.adversarial = adversarial;
      if (!out_dir.empty()) {
        core::make_directories(out_dir);
        core::write_text_atomically(out_dir + "/metrics.json",
                                    core::with_provenance(run, context).dump(2) + "\n");
        core::write_text_atomically(out_dir + "/per_image.csv", scores.per_image_csv());
      }
      json["runs"].push_back(run);
      curve.add_row({epsilon_name(eps255), report::percent(scores.clean_accuracy),
                     report::percent(scores.adversarial_accuracy),
                     report::percent(scores.success_rate), report::fixed(scores.mean_linf, 2),
                     report::fixed(scores.max_linf, 2), report::fixed(scores.mean_l2, 2),
                     report::fixed(seconds, 1)});
    }
    if (!reports) return;
    if (staged && epsilons.size() > 1) {
      core::write_text_atomically(output_root + "/curve.csv", curve.to_csv());
    }
    if (staged) staged->commit();
  } catch (const core::FileError& e) {
    if (!staged) throw;
    // Name the file as the user knows it, not by its staging folder.
    const std::string problem = std::string(e.what()).substr(e.path().size() + 2);
    throw core::FileError(staged->final_path(e.path()), problem);
  }
  if (epsilons.size() == 1) {
    for (auto& [key, value] : json["runs"][0].items()) json[key] = value;
  }
  if (!options.report.empty()) {
    report_data.clean = set.images;
    report_data.labels = set.labels;
    report_data.class_names = mi.class_names.empty() ? set.class_names : mi.class_names;
    core::write_text_atomically(
        options.report,
        report::with_provenance_section(attack::render_attack_report(model, report_data),
                                        core::provenance(context)));
    json["report"] = options.report;
  }
  std::string human = options.method + " on " + std::to_string(set.size()) + " images of " +
                      set.source + " (" + mi.arch + ")\n" + curve.render();
  if (!defenses.empty()) {
    human += "\npassive defenses in front of " + mi.arch +
             " (examples made on the undefended model)\n" + defense_table.render();
  }
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
  command->add_option("--restarts", a.pgd.restarts, "PGD random restarts")
      ->check(domain::positive())
      ->capture_default_str();
  command->add_option("--norm", a.norm, "PGD norm: linf | l2")->capture_default_str();
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
      ->add_option("--target", options->target,
                   "none | given (labels.csv TargetClass) | least-likely | random")
      ->capture_default_str();
  command->add_flag("--no-round", options->no_round,
                    "do not make iterative attacks rounding-aware");
  command->add_option("--batch-size", a.batch_size)
      ->check(domain::positive())
      ->capture_default_str();
  command->add_option("--limit", options->limit, "--data: the first N test images")
      ->check(domain::non_negative());
  command->add_option("--report", options->report,
                      "also write a self-contained HTML report (metrics, curve, examples)");
  command->add_option("--defense", options->defenses,
                      "also score passive defenses: median:K, bits:B, jpeg:Q (comma-separated)");
  command
      ->add_option("--label-offset", options->label_offset,
                   "subtract from labels.csv values (1 for 1-based ImageNet labels)")
      ->check(domain::non_negative());
  command->callback([options, &global] { run_attack(*options, global); });
}

}  // namespace nnlab::app
