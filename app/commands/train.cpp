// nnlab train: a zoo architecture on a data set, a checkpoint every epoch, exact --resume.
// Longer than 100 lines: it binds 31 flags (170 lines); --resume takes a saved setting only where
// its flag was not given (which only the command line knows); and it composes the hooks of three
// areas that sit side by side -- attack (adversarial training), compress (distillation) and train
// (data parallelism) -- which no library area above them could hold. What the run records for a
// resume is train::RunMetadata (train/run_metadata.h).
#include <algorithm>
#include <cmath>
#include <filesystem>
#include <optional>
#include <sstream>

#include "commands/commands.h"
#include "distributed_flags.h"
#include "flag_domains.h"
#include "model_flags.h"
#include "nnlab/attack/adversarial_training.h"
#include "nnlab/attack/randomized_smoothing.h"
#include "nnlab/compress/distillation.h"
#include "nnlab/core/error.h"
#include "nnlab/data/data_spec.h"
#include "nnlab/models/checkpoint.h"
#include "nnlab/models/layers.h"
#include "nnlab/models/model_loader.h"
#include "nnlab/models/registry.h"
#include "nnlab/models/state_dict.h"
#include "nnlab/report/table.h"
#include "nnlab/train/data_parallel.h"
#include "nnlab/train/run_metadata.h"
#include "nnlab/train/trainer.h"

namespace nnlab::app {

namespace {

struct TrainCommandOptions {
  train::TrainOptions train;
  std::string arch;
  std::string data = "fashion-mnist";
  std::string output;
  std::string metrics;
  std::string resume;
  std::string init_weights;
  std::int64_t limit = 0;
  std::int64_t num_classes = 0;
  // Adversarial training (--adv); budgets in 0-255 pixel units.
  std::string adv;
  double adv_epsilon = 8;
  double adv_step_size = 0;
  attack::AdversarialTrainingOptions adversarial;
  std::int64_t holdout = -1;  // -1: 1000, or a tenth of a smaller training set
  // Gaussian data augmentation for randomized smoothing (--noise-sigma, [0,1] pixel units; 0: off).
  double noise_sigma = 0;
  // Knowledge distillation (--teacher).
  std::string teacher;
  std::string teacher_arch;
  compress::DistillationOptions distillation;
  train::DataParallelOptions data_parallel;
  double dropout = -1;  // -1: the architecture's own
};

std::string epoch_line(const train::EpochMetrics& m, int epochs) {
  std::ostringstream out;
  out << "epoch " << m.epoch << "/" << epochs << "  lr " << m.lr << "  train loss "
      << report::fixed(m.train_loss, 4) << "  train acc " << report::percent(m.train_accuracy)
      << "  test loss " << report::fixed(m.test_loss, 4) << "  test acc "
      << report::percent(m.test_accuracy) << "  " << report::fixed(m.seconds, 1) << " s  "
      << report::fixed(m.images_per_second, 0) << " img/s";
  if (m.extra.contains("holdout_robust_accuracy")) {
    out << "  holdout clean " << report::percent(m.extra["holdout_clean_accuracy"].get<double>())
        << " PGD " << report::percent(m.extra["holdout_robust_accuracy"].get<double>());
  }
  if (m.extra.contains("rolled_back_to_epoch")) {
    out << "\nrobust accuracy collapsed (catastrophic overfitting): rolled back to epoch "
        << m.extra["rolled_back_to_epoch"].get<int>() << " and stopped";
  }
  return out.str();
}

void run_train(TrainCommandOptions options, const GlobalOptions& global, const CLI::App& command) {
  const core::ExecutionContext context = start(global);
  // Read once: the model, the options and the training state all come from this file.
  std::optional<models::Checkpoint> resumed;
  if (!options.resume.empty()) resumed = models::read_checkpoint(options.resume);
  models::Classifier model = [&] {
    if (resumed) {
      const auto& checkpoint = *resumed;
      const auto saved = train::Trainer::options_from_json(
          checkpoint.meta.value("train", nlohmann::json::object()));
      const int epochs = command.count("--epochs") ? options.train.epochs : saved.epochs;
      const bool progress = options.train.progress;
      options.train = saved;
      options.train.epochs = epochs;
      options.train.progress = progress;
      const auto saved_run = train::read_run_metadata(checkpoint.meta);
      if (!command.count("--data")) options.data = saved_run.data;
      if (!command.count("--limit")) options.limit = saved_run.limit;
      if (!command.count("--dropout")) options.dropout = saved_run.dropout.value_or(-1.0);
      if (options.output.empty()) options.output = options.resume;
      if (!command.count("--noise-sigma")) options.noise_sigma = saved_run.noise_sigma.value_or(0);
      if (options.adv.empty() && saved_run.adversarial) {
        options.adversarial = attack::AdversarialTrainingOptions::from_json(*saved_run.adversarial);
        options.adv = options.adversarial.method;
        options.holdout = saved_run.adversarial->value("holdout", options.holdout);
      }
      if (options.teacher.empty() && saved_run.distillation) {
        const auto& saved = *saved_run.distillation;
        options.teacher = saved.teacher;
        options.teacher_arch = saved.teacher_arch;
        options.distillation.temperature = saved.temperature;
        options.distillation.alpha = saved.alpha;
      }
      return models::classifier_from_checkpoint(checkpoint, options.resume);
    }
    if (options.arch.empty())
      throw core::OptionError("--arch", "required (or --resume CHECKPOINT)");
    auto fresh = models::create_model(options.arch, {options.num_classes, 0});
    if (!options.init_weights.empty()) {
      models::ModelSource source{options.init_weights, options.arch, options.num_classes};
      fresh = load_model_file(source);
    }
    return fresh;
  }();
  if (options.dropout >= 0) models::set_dropout(*model.module(), options.dropout);
  if (options.output.empty()) options.output = model.info().arch + ".ckpt";
  if (options.metrics.empty()) options.metrics = options.output + ".metrics.jsonl";
  options.train.checkpoint_path = options.output;
  options.train.metrics_path = options.metrics;
  options.train.metrics_provenance = core::provenance(context);
  if (global.quiet) options.train.progress = false;

  const auto data_options = data_options_for(model.info());
  auto split = data::load_data(options.data, data_options);
  if (options.limit > 0) split.train = split.train.head(options.limit);
  if (model.info().class_names.empty()) model.info().class_names = split.train.class_names;
  model.to(context);

  // Adversarial training: the last --holdout training images are kept out for the per-epoch
  // robust accuracy.
  std::optional<attack::AdversarialTraining> adversarial;
  if (!options.adv.empty()) {
    if (options.holdout == -1)
      options.holdout = std::min<std::int64_t>(1000, split.train.size() / 10);
    if (options.holdout < 0 || options.holdout >= split.train.size()) {
      throw core::OptionError("--holdout", "must be in [0, " + std::to_string(split.train.size()) +
                                               ") (the training images)");
    }
    const auto keep = split.train.size() - options.holdout;
    auto holdout = split.train.select(torch::arange(keep, split.train.size(), torch::kLong));
    split.train = split.train.head(keep);
    adversarial.emplace(options.adversarial, std::move(holdout));
  }
  train::TrainHooks hooks = adversarial ? adversarial->hooks() : train::TrainHooks{};
  if (options.noise_sigma > 0) {
    if (adversarial) {
      throw core::OptionError("--noise-sigma",
                              "cannot be combined with --adv (both replace the training batch)");
    }
    hooks = attack::gaussian_augmentation_hooks(options.noise_sigma);
  }
  std::optional<compress::Distillation> distillation;
  if (!options.teacher.empty()) {
    models::ModelSource source;
    source.path = options.teacher;
    source.arch = options.teacher_arch;
    auto teacher = load_model_file(source);
    teacher.to(context);
    distillation.emplace(std::move(teacher), options.distillation);
    // The training images are the same every epoch unless augmented or attacked: the teacher's
    // logits are computed once.
    if (!options.train.augment && !adversarial && options.noise_sigma == 0) {
      distillation->cache_teacher_logits(split.train.images, options.train.eval_batch_size);
    }
    if (hooks.loss) {
      throw core::OptionError("--teacher",
                              "cannot be combined with --adv trades (both replace the loss)");
    }
    const auto distill = distillation->hooks();
    hooks.loss = distill.loss;
    hooks.before_batch = distill.before_batch;
  }
  // What a resume needs beside the trainer's state: the data, dropout, adversarial training and
  // distillation settings.
  train::RunMetadata run_record;
  run_record.data = options.data;
  run_record.limit = options.limit;
  if (options.dropout >= 0) run_record.dropout = options.dropout;
  if (options.noise_sigma > 0) run_record.noise_sigma = options.noise_sigma;
  if (distillation) {
    run_record.distillation =
        train::DistillationRecord{options.teacher, options.teacher_arch,
                                  options.distillation.temperature, options.distillation.alpha};
  }
  if (adversarial) {
    run_record.adversarial = adversarial->options().to_json();
    (*run_record.adversarial)["holdout"] = options.holdout;
  }
  hooks.on_epoch = [&](const train::EpochMetrics& m, models::Checkpoint& checkpoint) {
    train::write_run_metadata(run_record, checkpoint.meta);
    if (!global.json) info(global, epoch_line(m, options.train.epochs));
  };
  // Data parallelism when launched as one of several processes (RANK, WORLD_SIZE, ...: nnlab
  // launch, torchrun or by hand): every rank trains on its share of each batch; rank 0 alone
  // writes the checkpoint, the metrics and the output.
  const auto group = train::ProcessGroup::join_from_environment(global.dist_timeout);
  if (group) {
    train::shard_training(options.train, *group);
    hooks = train::combine_hooks(std::move(hooks),
                                 train::data_parallel_hooks(group, options.data_parallel));
  }
  train::Trainer trainer(model, options.train, hooks);
  if (resumed) {
    trainer.resume(*resumed, options.resume);
    info(global, "resuming " + options.resume + " after epoch " +
                     std::to_string(trainer.completed_epochs()));
  }
  if (trainer.completed_epochs() >= options.train.epochs) {
    info(global, "nothing to do: " + std::to_string(trainer.completed_epochs()) + " of " +
                     std::to_string(options.train.epochs) +
                     " epochs done (raise --epochs to continue)");
  }
  if (group) train::prepare_data_parallel(*model.module(), group, options.data_parallel);
  const auto result = trainer.fit(split);
  if (group && group->rank() != 0) return;  // rank 0 reports

  nlohmann::json json;
  json["arch"] = model.info().arch;
  json["checkpoint"] = options.output;
  json["metrics_file"] = options.metrics;
  json["epochs"] = trainer.completed_epochs();
  json["seconds"] = result.seconds;
  json["history"] = nlohmann::json::array();
  for (const auto& m : result.history) json["history"].push_back(m.to_json());
  std::string human;
  if (!result.history.empty()) {
    const auto& last = result.history.back();
    json["test_accuracy"] = last.test_accuracy;
    json["test_loss"] = last.test_loss;
    json["stopped_early"] = result.stopped_early;
    human = "trained " + model.info().arch + " for " + std::to_string(trainer.completed_epochs()) +
            " epochs in " + report::fixed(result.seconds, 1) + " s: test accuracy " +
            report::percent(last.test_accuracy);
    if (last.extra.contains("holdout_robust_accuracy")) {
      json["holdout_robust_accuracy"] = last.extra["holdout_robust_accuracy"];
      human += ", held-out PGD-" + std::to_string(options.adversarial.eval_steps) + " accuracy " +
               report::percent(last.extra["holdout_robust_accuracy"].get<double>());
    }
    human += "\ncheckpoint: " + options.output;
  }
  emit(global, context, json, human);
}

}  // namespace

void setup_train(CLI::App& app, GlobalOptions& global) {
  auto options = std::make_shared<TrainCommandOptions>();
  auto* command = app.add_subcommand(
      "train", "train a zoo architecture; a checkpoint every epoch, exact --resume");
  auto& t = options->train;
  command->add_option("--arch", options->arch,
                      "architecture from the zoo (nnlab summary lists them)");
  command->add_option("--data", options->data, "fashion-mnist | idx:DIR | folder:DIR")
      ->capture_default_str();
  command->add_option("--epochs", t.epochs, "epochs in all (with --resume: continue up to this)")
      ->check(domain::positive())
      ->capture_default_str();
  command->add_option("--batch-size", t.batch_size)
      ->check(domain::positive())
      ->capture_default_str();
  command->add_option("--optimizer", t.optimizer, "sgd | adam | adamw")->capture_default_str();
  command->add_option("--lr", t.lr, "learning rate")
      ->check(domain::positive())
      ->capture_default_str();
  command->add_option("--momentum", t.momentum, "SGD momentum")
      ->check(domain::fraction())
      ->capture_default_str();
  command->add_flag("--nesterov", t.nesterov, "SGD with Nesterov momentum");
  command->add_option("--weight-decay", t.weight_decay)
      ->check(domain::non_negative())
      ->capture_default_str();
  command->add_option("--schedule", t.schedule, "learning-rate schedule: none | step | cosine")
      ->capture_default_str();
  command->add_option("--step-size", t.step_size, "step schedule: epochs per decay")
      ->check(domain::positive())
      ->capture_default_str();
  command->add_option("--gamma", t.gamma, "step schedule: decay factor")
      ->check(domain::positive())
      ->capture_default_str();
  command->add_option("--label-smoothing", t.label_smoothing)
      ->check(domain::range(0, 1, /*lo_open=*/false, /*hi_open=*/true))
      ->capture_default_str();
  command->add_flag("--augment", t.augment, "random 2-pixel shifts and horizontal flips");
  command->add_option("--eval-batch-size", t.eval_batch_size)
      ->check(domain::positive())
      ->capture_default_str();
  command->add_option("-o,--output", options->output, "checkpoint path (default: ARCH.ckpt)");
  command->add_option("--metrics", options->metrics,
                      "per-epoch JSON lines (default: OUTPUT.metrics.jsonl)");
  command->add_option("--resume", options->resume, "continue a checkpoint written by nnlab train");
  command->add_option("--init", options->init_weights,
                      "start from these weights (.pth or checkpoint)");
  command->add_option("--limit", options->limit, "train on the first N training images only")
      ->check(domain::non_negative());
  command
      ->add_option("--num-classes", options->num_classes, "classes (default: the architecture's)")
      ->check(domain::positive());
  command->add_option("--teacher", options->teacher,
                      "distil from this model (checkpoint, .pth with --teacher-arch, TorchScript)");
  command->add_option("--teacher-arch", options->teacher_arch, "architecture of a .pth teacher");
  command
      ->add_option("--temperature", options->distillation.temperature,
                   "--teacher: softmax temperature T")
      ->check(domain::positive())
      ->capture_default_str();
  command
      ->add_option("--alpha", options->distillation.alpha,
                   "--teacher: weight of the soft term, alpha T^2 KL + (1 - alpha) CE")
      ->check(domain::fraction())
      ->capture_default_str();
  command
      ->add_option("--dropout", options->dropout,
                   "probability of every dropout layer (0: off; default: the architecture's)")
      ->check(domain::range(0, 1, /*lo_open=*/false, /*hi_open=*/true));
  add_sync_bn_flag(*command, options->data_parallel);
  auto& adv = options->adversarial;
  command->add_option(
      "--adv", options->adv,
      "adversarial training: fgsm-rs (fast, Wong et al. 2020) | pgd (Madry et al.) | trades "
      "(Zhang et al. 2019)");
  command->add_option("--epsilon", options->adv_epsilon, "--adv budget in 0-255 pixel units")
      ->check(domain::range(0, 255))
      ->capture_default_str();
  command
      ->add_option("--adv-step-size", options->adv_step_size,
                   "--adv step in 0-255 units (default: 1.25 eps for fgsm-rs, 2.5 eps/steps "
                   "for pgd, eps/4 for trades)")
      ->check(domain::range(0, 255));
  command->add_option("--adv-steps", adv.steps, "--adv pgd|trades: steps per batch (trades: 10)")
      ->check(domain::positive())
      ->capture_default_str();
  command
      ->add_option("--beta", adv.beta,
                   "--adv trades: weight of the robust term, CE + beta KL(f(x) || f(x'))")
      ->check(domain::non_negative())
      ->capture_default_str();
  command
      ->add_option("--noise-sigma", options->noise_sigma,
                   "Gaussian noise of this std added to every training image, for randomized "
                   "smoothing (nnlab certify); 0: off")
      ->check(domain::non_negative());
  command
      ->add_option("--adv-eval-steps", adv.eval_steps, "PGD steps of the held-out robust accuracy")
      ->check(domain::non_negative())
      ->capture_default_str();
  command
      ->add_option("--holdout", options->holdout,
                   "--adv: training images kept out for the per-epoch robust accuracy (default "
                   "1000, at most a tenth of the training set)")
      ->check(domain::non_negative());
  command
      ->add_option("--collapse-drop", adv.collapse_drop,
                   "--adv: roll back and stop when held-out robust accuracy falls this far below "
                   "its best")
      ->check(domain::fraction())
      ->capture_default_str();
  command->callback([options, &global, command] {
    TrainCommandOptions copy = *options;
    copy.train.seed = global.runtime.seed;
    if (!copy.adv.empty()) {
      if (!(copy.adv_epsilon > 0 && copy.adv_epsilon <= 255)) {
        throw core::OptionError("--epsilon", "must be in (0, 255] (pixel units; 8 means 8/255)");
      }
      if (!(copy.adv_step_size >= 0 && copy.adv_step_size <= 255)) {
        throw core::OptionError("--adv-step-size", "must be in [0, 255] (pixel units)");
      }
      if (copy.adv != "fgsm-rs" && copy.adv != "pgd" && copy.adv != "trades") {
        throw core::OptionError("--adv", "expected fgsm-rs, pgd or trades, got '" + copy.adv + "'");
      }
      // The reference's 10 inner steps (pgd keeps Madry et al.'s 7).
      if (copy.adv == "trades" && !command->count("--adv-steps")) copy.adversarial.steps = 10;
      copy.adversarial.method = copy.adv;
      copy.adversarial.epsilon = copy.adv_epsilon / 255.0;
      copy.adversarial.step_size = copy.adv_step_size / 255.0;
    } else if (command->count("--epsilon") || command->count("--adv-steps")) {
      throw core::OptionError("--epsilon", "only with --adv fgsm-rs|pgd|trades");
    }
    if (command->count("--beta") && copy.adv != "trades") {
      throw core::OptionError("--beta", "only with --adv trades");
    }
    if (!(copy.noise_sigma >= 0 && std::isfinite(copy.noise_sigma))) {
      throw core::OptionError("--noise-sigma", "must be a finite number >= 0 (0: no noise), got " +
                                                   core::number_text(copy.noise_sigma));
    }
    run_train(copy, global, *command);
  });
}

}  // namespace nnlab::app
