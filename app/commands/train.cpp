// nnlab train: a zoo architecture on a data set, a checkpoint every epoch, exact --resume.
#include <filesystem>
#include <optional>
#include <sstream>

#include "commands/commands.h"
#include "model_flags.h"
#include "nnlab/core/error.h"
#include "nnlab/data/data_spec.h"
#include "nnlab/models/checkpoint.h"
#include "nnlab/models/model_loader.h"
#include "nnlab/models/registry.h"
#include "nnlab/models/state_dict.h"
#include "nnlab/report/table.h"
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
};

std::string epoch_line(const train::EpochMetrics& m, int epochs) {
  std::ostringstream out;
  out << "epoch " << m.epoch << "/" << epochs << "  lr " << m.lr << "  train loss "
      << report::fixed(m.train_loss, 4) << "  train acc " << report::percent(m.train_accuracy)
      << "  test loss " << report::fixed(m.test_loss, 4) << "  test acc "
      << report::percent(m.test_accuracy) << "  " << report::fixed(m.seconds, 1) << " s  "
      << report::fixed(m.images_per_second, 0) << " img/s";
  return out.str();
}

void run_train(TrainCommandOptions options, const GlobalOptions& global, const CLI::App& command) {
  const torch::Device device = start(global);
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
      if (!command.count("--data")) options.data = checkpoint.meta.value("data", options.data);
      if (!command.count("--limit"))
        options.limit = checkpoint.meta.value("limit", std::int64_t{0});
      if (options.output.empty()) options.output = options.resume;
      return models::classifier_from_checkpoint(checkpoint, options.resume);
    }
    if (options.arch.empty())
      throw core::OptionError("--arch", "required (or --resume CHECKPOINT)");
    auto fresh = models::create_model(options.arch, {options.num_classes, 0});
    if (!options.init_weights.empty()) {
      models::ModelSource source{options.init_weights, options.arch, options.num_classes};
      fresh = models::load_model(source);
    }
    return fresh;
  }();
  if (options.output.empty()) options.output = model.info().arch + ".ckpt";
  if (options.metrics.empty()) options.metrics = options.output + ".metrics.jsonl";
  options.train.checkpoint_path = options.output;
  options.train.metrics_path = options.metrics;
  if (global.quiet) options.train.progress = false;

  data::DataSpecOptions data_options;
  data_options.image.channels = static_cast<int>(model.info().in_channels);
  data_options.image.height = static_cast<int>(model.info().height);
  data_options.image.width = static_cast<int>(model.info().width);
  data_options.num_classes = model.info().num_classes;
  auto split = data::load_data(options.data, data_options);
  if (options.limit > 0) split.train = split.train.head(options.limit);
  if (model.info().class_names.empty()) model.info().class_names = split.train.class_names;
  model.to(device);

  train::TrainHooks hooks;
  hooks.on_epoch = [&](const train::EpochMetrics& m, models::Checkpoint& checkpoint) {
    checkpoint.meta["data"] = options.data;
    checkpoint.meta["limit"] = options.limit;
    if (!global.json) info(global, epoch_line(m, options.train.epochs));
  };
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
  const auto result = trainer.fit(split);

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
    human = "trained " + model.info().arch + " for " + std::to_string(trainer.completed_epochs()) +
            " epochs in " + report::fixed(result.seconds, 1) + " s: test accuracy " +
            report::percent(last.test_accuracy) + "\ncheckpoint: " + options.output;
  }
  emit(global, json, human);
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
      ->capture_default_str();
  command->add_option("--batch-size", t.batch_size)->capture_default_str();
  command->add_option("--optimizer", t.optimizer, "sgd | adam | adamw")->capture_default_str();
  command->add_option("--lr", t.lr, "learning rate")->capture_default_str();
  command->add_option("--momentum", t.momentum, "SGD momentum")->capture_default_str();
  command->add_flag("--nesterov", t.nesterov, "SGD with Nesterov momentum");
  command->add_option("--weight-decay", t.weight_decay)->capture_default_str();
  command->add_option("--schedule", t.schedule, "learning-rate schedule: none | step | cosine")
      ->capture_default_str();
  command->add_option("--step-size", t.step_size, "step schedule: epochs per decay")
      ->capture_default_str();
  command->add_option("--gamma", t.gamma, "step schedule: decay factor")->capture_default_str();
  command->add_option("--label-smoothing", t.label_smoothing)->capture_default_str();
  command->add_flag("--augment", t.augment, "random 2-pixel shifts and horizontal flips");
  command->add_option("--eval-batch-size", t.eval_batch_size)->capture_default_str();
  command->add_option("-o,--output", options->output, "checkpoint path (default: ARCH.ckpt)");
  command->add_option("--metrics", options->metrics,
                      "per-epoch JSON lines (default: OUTPUT.metrics.jsonl)");
  command->add_option("--resume", options->resume, "continue a checkpoint written by nnlab train");
  command->add_option("--init", options->init_weights,
                      "start from these weights (.pth or checkpoint)");
  command->add_option("--limit", options->limit, "train on the first N training images only");
  command->add_option("--num-classes", options->num_classes,
                      "classes (default: the architecture's)");
  command->callback([options, &global, command] {
    TrainCommandOptions copy = *options;
    copy.train.seed = global.runtime.seed;
    run_train(copy, global, *command);
  });
}

}  // namespace nnlab::app
