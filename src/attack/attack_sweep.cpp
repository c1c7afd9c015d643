#include "nnlab/attack/attack_sweep.h"

#include <torch/torch.h>

#include <chrono>
#include <filesystem>
#include <optional>
#include <sstream>

#include "nnlab/attack/attack_set.h"
#include "nnlab/attack/defended_model.h"
#include "nnlab/attack/metrics.h"
#include "nnlab/attack/query_curve.h"
#include "nnlab/attack/stage_scores.h"
#include "nnlab/attack/targets.h"
#include "nnlab/core/atomic_file.h"
#include "nnlab/core/autocast.h"
#include "nnlab/core/error.h"
#include "nnlab/core/memory.h"
#include "nnlab/core/staged_directory.h"
#include "nnlab/data/image_io.h"
#include "nnlab/report/table.h"
#include "nnlab/train/process_group.h"

namespace nnlab::attack {

namespace {

void check_options(const AttackSweepOptions& options, const data::Dataset& set) {
  if (options.epsilons.empty())
    throw core::OptionError("AttackSweepOptions.epsilons", "no budget given");
  for (const double e : options.epsilons) {
    if (!(e >= 0 && e <= 255)) {
      throw core::OptionError(
          "AttackSweepOptions.epsilons",
          "must be in [0, 255] (pixel units; 8 means 8/255), got " + epsilon_name(e));
    }
  }
  if (!(options.step_size >= 0 && options.step_size <= 255)) {
    throw core::OptionError(
        "AttackSweepOptions.step_size",
        "must be in [0, 255] (pixel units), got " + epsilon_name(options.step_size));
  }
  if (options.write_images && options.output.empty())
    throw core::OptionError("AttackSweepOptions.output", "required to write the images");
  if (options.write_images && set.files.size() != static_cast<size_t>(set.size())) {
    throw core::OptionError("AttackSweepOptions.write_images",
                            "needs a file name per image (Dataset::files)");
  }
  if (options.adaptive && options.defenses.empty())
    throw core::OptionError("AttackSweepOptions.adaptive", "needs a defense to attack through");
  if (options.target == "given" &&
      (!options.given_targets.defined() || options.given_targets.size(0) != set.size())) {
    throw core::OptionError("AttackSweepOptions.given_targets",
                            "target 'given' needs one target class per image");
  }
}

// The targets of a targeted sweep; undefined for an untargeted one.
torch::Tensor sweep_targets(models::Classifier& model, const data::Dataset& set,
                            const AttackSweepOptions& options) {
  if (options.target == "none") return {};
  if (options.target == "given") return options.given_targets;
  return choose_targets(model, set.images, set.labels, parse_target_mode(options.target),
                        options.attack.seed);
}

// What a progress file's run is (attack_progress.h): the method and the shared settings that
// change its result.
std::string progress_description(const std::string& method, const AttackSettings& s) {
  std::ostringstream out;
  out.precision(17);
  out << method << " eps " << s.epsilon << " step " << s.step_size << " steps " << s.steps
      << " norm " << s.norm << " loss " << s.loss << " targeted " << s.targeted << " seed "
      << s.seed << " round " << s.round_to_8bit << " restarts " << s.pgd.restarts << " start "
      << s.pgd.random_start << " targets " << s.apgd.target_classes << " eot " << s.apgd.eot_iter
      << " aa " << s.autoattack.version << " " << s.autoattack.steps;
  for (const auto& a : s.autoattack.attacks) out << " " << a;
  return out.str();
}

// The adaptive attacker's images: the attack run against defense + model (BPDA, EOT), rounded
// to 8 bits as saved; every rank of a group attacks its share. Returns them and the seconds.
std::pair<torch::Tensor, double> attack_through(Attack& method, models::Classifier& model,
                                                const InputDefense& defense,
                                                const data::Dataset& set,
                                                const torch::Tensor& targets,
                                                AttackSetOptions set_options,
                                                train::ProcessGroup* group) {
  const auto started = std::chrono::steady_clock::now();
  auto defended = defended_model(model, defense);
  set_options.clean_logits = torch::Tensor();  // the defended model's are not the model's
  set_options.label += " through " + defense.spec;
  if (!set_options.progress_file.empty()) {  // a run of its own
    set_options.progress_file += ".through-" + defense.spec;
    set_options.progress_key += " through " + defense.spec;
  }
  const auto attacked =
      group ? attack_set(method, defended, set.images, set.labels, targets, set_options, *group)
            : attack_set(method, defended, set.images, set.labels, targets, set_options);
  return {data::quantize_to_8bit(attacked.adversarial),
          std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count()};
}

}  // namespace

std::string epsilon_name(double epsilon) {
  std::ostringstream out;
  out << epsilon;
  return out.str();
}

AttackSweepResult run_attack_sweep(models::Classifier& model, const data::Dataset& set,
                                   const AttackSweepOptions& options) {
  check_options(options, set);
  // The weights do not change during the sweep: in bf16 they are cast once for all its forwards.
  const core::AutocastCacheScope cast_once(model.precision() == core::Precision::kBf16);
  const auto& mi = model.info();
  AttackSweepResult result;
  result.targets = sweep_targets(model, set, options);
  AttackSettings settings = options.attack;
  settings.targeted = result.targets.defined();
  const auto batch_size = options.attack.batch_size;

  // Clean accuracy behind each defense: the same for every budget.
  std::vector<double> defended_clean;
  for (const auto& defense : options.defenses) {
    defended_clean.push_back(defended_accuracy(model, defense, set.images, set.labels, batch_size));
  }
  train::ProcessGroup* group = options.group;
  result.reports = !group || group->rank() == 0;
  const bool several = options.epsilons.size() > 1;
  torch::Tensor clean_logits;
  // The output folder is built aside and put in place whole at the end (docs/FORMAT.md): a
  // failure or a SIGTERM half-way leaves the previous folder, or none, never a part of one.
  std::optional<core::StagedDirectory> staged;
  if (result.reports && !options.output.empty()) {
    staged.emplace(options.output, std::vector<std::string>{"metrics.json", "curve.csv"});
  }
  const std::string output_root = staged ? staged->path() : options.output;
  if (!options.output.empty()) {
    // Where each rank keeps its progress (beside the output), also on another host.
    const auto parent = std::filesystem::path(options.output).parent_path();
    if (!parent.empty()) core::make_directories(parent.string());
  }
  try {
    for (const double eps255 : options.epsilons) {
      settings.epsilon = eps255 / 255.0;
      settings.step_size = options.step_size / 255.0;
      auto method = make_attack(options.method, settings);
      const auto started = std::chrono::steady_clock::now();
      AttackSetOptions set_options;
      set_options.batch_size = batch_size;
      set_options.progress = options.progress && result.reports;
      set_options.label = options.method + " eps " + epsilon_name(eps255);
      set_options.clean_logits = clean_logits;
      if (!options.output.empty()) {
        // A long run (AutoAttack) resumes after a kill: its progress is kept beside the output.
        set_options.progress_file =
            options.output + ".progress-eps_" + epsilon_name(eps255) + ".pt";
        set_options.progress_key = progress_description(options.method, settings);
      }
      auto attacked =
          group ? attack_set(*method, model, set.images, set.labels, result.targets, set_options,
                             *group)
                : attack_set(*method, model, set.images, set.labels, result.targets, set_options);
      const auto stage_seconds = method->stage_seconds();  // before the adaptive runs add theirs
      // Adaptive: the attack through each defense (every rank attacks its share): images, seconds.
      std::vector<std::pair<torch::Tensor, double>> adaptive;
      for (size_t d = 0; options.adaptive && d < options.defenses.size(); ++d) {
        adaptive.push_back(attack_through(*method, model, options.defenses[d], set, result.targets,
                                          set_options, group));
      }
      clean_logits = attacked.clean_logits;  // the same for every budget
      if (!result.reports) continue;         // rank 0 scores, writes and reports
      // Already on the grid when rounding-aware (pixel_grid rounds with this same rule, so this
      // changes nothing); without rounding, the real-valued results rounded as they are saved.
      auto adversarial = data::quantize_to_8bit(attacked.adversarial);

      std::string out_dir = output_root;
      if (!out_dir.empty() && several) out_dir += "/eps_" + epsilon_name(eps255);
      if (options.write_images) {
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
      auto scores = score_attack(model, set.images, adversarial, set.labels, set.files, batch_size,
                                 attacked.clean_logits);
      // An attack of several stages (AutoAttack): which stage broke each image, and the robust
      // accuracy after each.
      std::vector<StageScore> stages;
      const auto stage_names = method->stage_names();
      if (!stage_names.empty() && attacked.stage.defined()) {
        name_breaking_stages(scores, attacked.stage, stage_names);
        stages = stage_scores(scores, attacked.stage, stage_names, stage_seconds);
      }
      // The adaptive attacks ran in between: they have their own seconds.
      double seconds =
          std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
      for (const auto& a : adaptive) seconds -= a.second;
      auto run = scores.to_json();
      run["method"] = options.method;
      run["arch"] = mi.arch;
      run["epsilon"] = eps255;
      run["seconds"] = seconds;
      if (!stages.empty()) {
        // The evaluation's names (RobustBench's): robust accuracy overall and after each stage.
        run["robust_accuracy"] = scores.adversarial_accuracy;
        run["stages"] = nlohmann::json::array();
        for (const auto& stage : stages) run["stages"].push_back(stage.to_json());
      }
      // Passive defenses in front of the same model, against these (undefended-model) examples.
      run["defenses"] = nlohmann::json::array();
      AttackReportRun report_run{eps255, seconds, scores, {}, stages, {}};
      if (attacked.queries.defined()) {
        // Black-box attacks: success against queries, judged on the images as scored.
        auto broken = torch::zeros({set.size()}, torch::kBool);
        for (std::int64_t i = 0; i < set.size(); ++i) {
          const auto& row = scores.images[static_cast<size_t>(i)];
          broken[i] = row.adversarial_prediction != row.label;
        }
        report_run.query_curve = query_curve(attacked.queries, broken);
        run["query_curve"] = report_run.query_curve.points_json();
        run["mean_queries"] = report_run.query_curve.mean_queries;
        run["median_queries"] = report_run.query_curve.median_queries;
      }
      for (size_t d = 0; d < options.defenses.size(); ++d) {
        const auto& defense = options.defenses[d];
        const auto clean = defended_clean[d];
        const auto adv = defended_accuracy(model, defense, adversarial, set.labels, batch_size);
        run["defenses"].push_back(
            {{"defense", defense.spec}, {"clean_accuracy", clean}, {"adversarial_accuracy", adv}});
        report_run.defenses.push_back({defense.spec, clean, adv});
        if (options.adaptive) {
          auto& score = report_run.defenses.back();
          score.adaptive = true;
          score.adaptive_accuracy =
              defended_accuracy(model, defense, adaptive[d].first, set.labels, batch_size);
          score.adaptive_seconds = adaptive[d].second;
          run["defenses"].back()["adaptive_accuracy"] = score.adaptive_accuracy;
          run["defenses"].back()["adaptive_seconds"] = score.adaptive_seconds;
        }
      }
      if (!out_dir.empty()) {
        core::make_directories(out_dir);
        auto metrics = core::with_provenance(run, options.context);
        metrics["peak_memory_mb"] = core::peak_memory_mb();  // the process's, so far
        core::write_text_atomically(out_dir + "/metrics.json", metrics.dump(2) + "\n");
        core::write_text_atomically(out_dir + "/per_image.csv", scores.per_image_csv());
      }
      result.runs.push_back(std::move(report_run));
      result.runs_json.push_back(std::move(run));
      result.adversarial = adversarial;
    }
    if (!result.reports) return result;
    if (staged && several) {
      core::write_text_atomically(output_root + "/curve.csv",
                                  sweep_curve_table(result.runs).to_csv());
    }
    if (staged) staged->commit();
  } catch (const core::FileError& e) {
    if (!staged) throw;
    // Name the file as the user knows it, not by its staging folder.
    const std::string problem = std::string(e.what()).substr(e.path().size() + 2);
    throw core::FileError(staged->final_path(e.path()), problem);
  }
  return result;
}

report::Table sweep_curve_table(const std::vector<AttackReportRun>& runs) {
  report::Table curve({"epsilon", "clean acc", "adv acc", "success", "mean Linf", "max Linf",
                       "mean L2", "seconds"});
  for (const auto& run : runs) {
    const auto& s = run.scores;
    curve.add_row({epsilon_name(run.epsilon), report::percent(s.clean_accuracy),
                   report::percent(s.adversarial_accuracy), report::percent(s.success_rate),
                   report::fixed(s.mean_linf, 2), report::fixed(s.max_linf, 2),
                   report::fixed(s.mean_l2, 2), report::fixed(run.seconds, 1)});
  }
  return curve;
}

report::Table sweep_stage_table(const std::vector<AttackReportRun>& runs) {
  report::Table table({"epsilon", "stage", "broken", "robust acc", "seconds"});
  for (const auto& run : runs) {
    for (const auto& stage : run.stages) {
      table.add_row({epsilon_name(run.epsilon), stage.attack, std::to_string(stage.broken),
                     report::percent(stage.robust_accuracy), report::fixed(stage.seconds, 1)});
    }
  }
  return table;
}

report::Table sweep_defense_table(const std::vector<AttackReportRun>& runs) {
  bool adaptive = false;
  for (const auto& run : runs) {
    for (const auto& d : run.defenses) adaptive = adaptive || d.adaptive;
  }
  std::vector<std::string> columns = {"epsilon", "defense", "clean acc", "adv acc"};
  if (adaptive) columns.push_back("adaptive acc");
  report::Table table(columns);
  for (const auto& run : runs) {
    for (const auto& d : run.defenses) {
      std::vector<std::string> row = {epsilon_name(run.epsilon), d.defense,
                                      report::percent(d.clean_accuracy),
                                      report::percent(d.adversarial_accuracy)};
      if (adaptive) row.push_back(d.adaptive ? report::percent(d.adaptive_accuracy) : "-");
      table.add_row(row);
    }
  }
  return table;
}

}  // namespace nnlab::attack
