#include "nnlab/train/trainer.h"

#include <ATen/CPUGeneratorImpl.h>
#include <torch/torch.h>

#include <chrono>
#include <cmath>
#include <sstream>
#include <stdexcept>

#include "nnlab/core/atomic_file.h"
#include "nnlab/core/error.h"
#include "nnlab/core/execution_context.h"
#include "nnlab/core/format_version.h"
#include "nnlab/core/progress.h"
#include "nnlab/train/divergence.h"
#include "nnlab/train/evaluate.h"
#include "nnlab/train/optimizer_state.h"
#include "nnlab/train/training_loop.h"

namespace nnlab::train {

nlohmann::json EpochMetrics::to_json() const {
  nlohmann::json j = {{"epoch", epoch},           {"lr", lr},
                      {"train_loss", train_loss}, {"train_accuracy", train_accuracy},
                      {"test_loss", test_loss},   {"test_accuracy", test_accuracy},
                      {"seconds", seconds},       {"images_per_second", images_per_second}};
  for (const auto& [key, value] : extra.items()) j[key] = value;
  return j;
}

EpochMetrics EpochMetrics::from_json(const nlohmann::json& j) {
  EpochMetrics m;
  m.epoch = j.value("epoch", 0);
  m.lr = j.value("lr", 0.0);
  m.train_loss = j.value("train_loss", 0.0);
  m.train_accuracy = j.value("train_accuracy", 0.0);
  m.test_loss = j.value("test_loss", 0.0);
  m.test_accuracy = j.value("test_accuracy", 0.0);
  m.seconds = j.value("seconds", 0.0);
  m.images_per_second = j.value("images_per_second", 0.0);
  const auto known = EpochMetrics().to_json();
  for (const auto& [key, value] : j.items()) {
    if (!known.contains(key)) m.extra[key] = value;
  }
  return m;
}

torch::Tensor augment_batch(const torch::Tensor& images, std::int64_t pad) {
  const auto n = images.size(0);
  const auto h = images.size(2);
  const auto w = images.size(3);
  const auto padded = torch::constant_pad_nd(images, {pad, pad, pad, pad}, 0);
  const auto offsets = torch::randint(0, 2 * pad + 1, {n, 2}, torch::kLong);
  const auto flips = torch::rand({n}) < 0.5;
  auto out = torch::empty_like(images);
  const auto off = offsets.accessor<std::int64_t, 2>();
  const auto flip = flips.accessor<bool, 1>();
  for (std::int64_t i = 0; i < n; ++i) {
    auto crop = padded[i].slice(1, off[i][0], off[i][0] + h).slice(2, off[i][1], off[i][1] + w);
    out[i].copy_(flip[i] ? crop.flip({2}) : crop);
  }
  return out;
}

nlohmann::json Trainer::options_to_json(const TrainOptions& o) {
  return {{"epochs", o.epochs},
          {"batch_size", o.batch_size},
          {"optimizer", o.optimizer},
          {"lr", o.lr},
          {"momentum", o.momentum},
          {"nesterov", o.nesterov},
          {"weight_decay", o.weight_decay},
          {"schedule", o.schedule},
          {"step_size", o.step_size},
          {"gamma", o.gamma},
          {"label_smoothing", o.label_smoothing},
          {"augment", o.augment},
          {"seed", o.seed},
          {"eval_batch_size", o.eval_batch_size}};
}

TrainOptions Trainer::options_from_json(const nlohmann::json& j) {
  TrainOptions o;
  o.epochs = j.value("epochs", o.epochs);
  o.batch_size = j.value("batch_size", o.batch_size);
  o.optimizer = j.value("optimizer", o.optimizer);
  o.lr = j.value("lr", o.lr);
  o.momentum = j.value("momentum", o.momentum);
  o.nesterov = j.value("nesterov", o.nesterov);
  o.weight_decay = j.value("weight_decay", o.weight_decay);
  o.schedule = j.value("schedule", o.schedule);
  o.step_size = j.value("step_size", o.step_size);
  o.gamma = j.value("gamma", o.gamma);
  o.label_smoothing = j.value("label_smoothing", o.label_smoothing);
  o.augment = j.value("augment", o.augment);
  o.seed = j.value("seed", o.seed);
  o.eval_batch_size = j.value("eval_batch_size", o.eval_batch_size);
  return o;
}

namespace {

// f then g; whichever is set when only one is.
template <typename... Args>
std::function<void(Args...)> chain(std::function<void(Args...)> f, std::function<void(Args...)> g) {
  if (!f) return g;
  if (!g) return f;
  return [f = std::move(f), g = std::move(g)](Args... args) {
    f(args...);
    g(args...);
  };
}

template <typename F>
F only_one(F f, F g, const char* what) {
  if (f && g) throw std::invalid_argument(std::string("combine_hooks: both replace the ") + what);
  return f ? f : g;
}

}  // namespace

TrainHooks combine_hooks(TrainHooks first, TrainHooks second) {
  TrainHooks out;
  out.before_batch = chain(std::move(first.before_batch), std::move(second.before_batch));
  out.transform_batch =
      only_one(std::move(first.transform_batch), std::move(second.transform_batch), "batch");
  out.loss = only_one(std::move(first.loss), std::move(second.loss), "loss");
  out.after_backward = chain(std::move(first.after_backward), std::move(second.after_backward));
  out.after_step = chain(std::move(first.after_step), std::move(second.after_step));
  out.on_epoch = chain(std::move(first.on_epoch), std::move(second.on_epoch));
  out.reduce_sums = only_one(std::move(first.reduce_sums), std::move(second.reduce_sums), "sums");
  out.evaluate = only_one(std::move(first.evaluate), std::move(second.evaluate), "evaluation");
  if (first.after_epoch && second.after_epoch) {
    out.after_epoch = [f = std::move(first.after_epoch), g = std::move(second.after_epoch)](
                          models::Classifier& model, EpochMetrics& metrics) {
      const bool go_on = f(model, metrics);
      return g(model, metrics) && go_on;
    };
  } else {
    out.after_epoch = first.after_epoch ? first.after_epoch : second.after_epoch;
  }
  return out;
}

Trainer::Trainer(models::Classifier& model, TrainOptions options, TrainHooks hooks)
    : model_(model), options_(std::move(options)), hooks_(std::move(hooks)) {
  if (options_.epochs < 1)
    throw core::OptionError("TrainOptions.epochs",
                            "must be >= 1, got " + std::to_string(options_.epochs));
  if (options_.batch_size < 1)
    throw core::OptionError("TrainOptions.batch_size",
                            "must be >= 1, got " + std::to_string(options_.batch_size));
  if (options_.shard_count < 1 || options_.shard_rank < 0 ||
      options_.shard_rank >= options_.shard_count)
    throw std::invalid_argument("trainer: shard " + std::to_string(options_.shard_rank) + " of " +
                                std::to_string(options_.shard_count));
  if (options_.batch_size < options_.shard_count)
    throw core::OptionError("TrainOptions.batch_size",
                            "the global batch must give every process a sample");
  check_learning_rate(options_.lr, "TrainOptions.lr");
  if (options_.weight_decay < 0)
    throw core::OptionError("TrainOptions.weight_decay",
                            "must be >= 0, got " + core::number_text(options_.weight_decay));
  if (options_.label_smoothing < 0 || options_.label_smoothing >= 1) {
    throw core::OptionError(
        "TrainOptions.label_smoothing",
        "must be in [0, 1), got " + core::number_text(options_.label_smoothing));
  }
  if (options_.schedule != "none" && options_.schedule != "step" && options_.schedule != "cosine") {
    throw core::OptionError("TrainOptions.schedule",
                            "expected none, step or cosine, got '" + options_.schedule + "'");
  }
  if (options_.step_size < 1)
    throw core::OptionError("TrainOptions.step_size",
                            "must be >= 1, got " + std::to_string(options_.step_size));
  if (model_.is_script())
    throw core::OptionError(
        "Trainer.model",
        "training a TorchScript module is not supported; train a zoo architecture");
  make_optimizer();
  LoopOptions loop;
  loop.epochs = options_.epochs;
  loop.seed = options_.seed;
  loop.schedule.kind = options_.schedule == "none" ? "constant" : options_.schedule;
  loop.schedule.lr = options_.lr;
  loop.schedule.step_size = options_.step_size;
  loop.schedule.gamma = options_.gamma;
  loop.progress = options_.progress;
  loop.progress_unit = "img";
  loop_ = std::make_unique<TrainingLoop>(*optimizer_, model_.parameters(), std::move(loop));
}

Trainer::~Trainer() = default;

int Trainer::completed_epochs() const {
  return loop_->state().completed;
}

void Trainer::make_optimizer() {
  auto params = model_.parameters();
  if (options_.optimizer == "sgd") {
    optimizer_ =
        std::make_unique<torch::optim::SGD>(params, torch::optim::SGDOptions(options_.lr)
                                                        .momentum(options_.momentum)
                                                        .nesterov(options_.nesterov)
                                                        .weight_decay(options_.weight_decay));
  } else if (options_.optimizer == "adam") {
    optimizer_ = std::make_unique<torch::optim::Adam>(
        params, torch::optim::AdamOptions(options_.lr).weight_decay(options_.weight_decay));
  } else if (options_.optimizer == "adamw") {
    optimizer_ = std::make_unique<torch::optim::AdamW>(
        params, torch::optim::AdamWOptions(options_.lr).weight_decay(options_.weight_decay));
  } else {
    throw core::OptionError("TrainOptions.optimizer",
                            "expected sgd, adam or adamw, got '" + options_.optimizer + "'");
  }
}

void Trainer::resume(const models::Checkpoint& checkpoint, const std::string& source) {
  if (!checkpoint.meta.contains("epoch") || !checkpoint.blobs.count("optimizer")) {
    throw core::FileError(source,
                          "holds no training state to resume from (not written by nnlab train)");
  }
  loop_->state().completed = checkpoint.meta["epoch"].get<int>();
  history_.clear();
  for (const auto& row : checkpoint.meta.value("history", nlohmann::json::array())) {
    history_.push_back(EpochMetrics::from_json(row));
  }
  load_optimizer_state(*optimizer_, checkpoint.blobs.at("optimizer"), source);
  loop_->state().last_checkpoint = source;
}

std::string Trainer::write_checkpoint() {
  if (options_.checkpoint_path.empty()) return {};
  models::Checkpoint checkpoint = models::make_checkpoint(model_);
  checkpoint.meta["train"] = options_to_json(options_);
  checkpoint.meta["epoch"] = loop_->state().completed;
  nlohmann::json history = nlohmann::json::array();
  for (const auto& m : history_) history.push_back(m.to_json());
  checkpoint.meta["history"] = history;
  checkpoint.blobs["optimizer"] = save_optimizer_state(*optimizer_);
  if (hooks_.on_epoch && !history_.empty()) hooks_.on_epoch(history_.back(), checkpoint);
  models::save_checkpoint(options_.checkpoint_path, checkpoint);
  return options_.checkpoint_path;
}

void Trainer::write_metrics() const {
  if (options_.metrics_path.empty()) return;
  std::string lines;
  for (const auto& m : history_) {
    auto line = core::with_format_version(m.to_json());
    if (!options_.metrics_provenance.is_null())
      line[core::kProvenanceKey] = options_.metrics_provenance;
    lines += line.dump() + "\n";
  }
  core::write_text_atomically(options_.metrics_path, lines);
}

TrainResult Trainer::fit(const data::TrainTestSplit& data) {
  if (data.train.size() == 0)
    throw core::OptionError("TrainTestSplit.train", "the training split is empty");
  if (data.train.images.size(1) != model_.info().in_channels) {
    throw core::OptionError("TrainTestSplit.train", data.train.source + " has " +
                                                        std::to_string(data.train.images.size(1)) +
                                                        " channel(s) but '" + model_.info().arch +
                                                        "' expects " +
                                                        std::to_string(model_.info().in_channels));
  }
  const auto max_label = data.train.labels.max().item<std::int64_t>();
  if (max_label >= model_.info().num_classes) {
    throw core::OptionError("TrainTestSplit.train",
                            data.train.source + " has label " + std::to_string(max_label) +
                                " but the model has " + std::to_string(model_.info().num_classes) +
                                " classes");
  }
  const auto start = std::chrono::steady_clock::now();
  const auto& train = data.train;
  const std::int64_t n = train.size();
  const auto device = model_.device();
  const auto shards = options_.shard_count;
  torch::Tensor order;
  double loss_sum = 0;
  std::int64_t correct = 0, seen = 0;

  LoopHooks loop_hooks;
  loop_hooks.begin_epoch = [&](const Epoch& epoch) {
    auto generator = at::make_generator<at::CPUGeneratorImpl>(epoch.seeds.data);
    order = torch::randperm(n, generator, torch::kLong);
    model_.train();
    loss_sum = 0;
    correct = seen = 0;
    // A lone sample breaks BatchNorm statistics (per process: shards of at least 2): a short
    // last batch is left out.
    std::int64_t batches = 0;
    for (std::int64_t begin = 0; begin < n; begin += options_.batch_size, ++batches) {
      if (std::min(n - begin, options_.batch_size) < 2 * shards && n > 1) break;
    }
    return EpochPlan{batches, n};
  };
  loop_hooks.train_batch = [&](Batch& batch) {
    const auto begin = batch.index * options_.batch_size;
    const auto end = std::min(n, begin + options_.batch_size);
    // This shard's rows of the global batch [begin, end).
    const auto global = end - begin;
    const auto [first, last] = share_of(global, options_.shard_rank, shards);
    const auto from = begin + first;
    const auto to = begin + last;
    const auto index = order.slice(0, from, to);
    if (hooks_.before_batch) hooks_.before_batch(index);
    auto images = train.images.index_select(0, index);
    auto labels = train.labels.index_select(0, index);
    if (options_.augment) images = augment_batch(images);
    images = images.to(device);
    labels = labels.to(device);
    if (hooks_.transform_batch) images = hooks_.transform_batch(model_, images, labels);
    const auto logits = model_.forward(images);
    const auto loss = hooks_.loss
                          ? hooks_.loss(logits, labels, images)
                          : torch::nn::functional::cross_entropy(
                                logits, labels,
                                torch::nn::functional::CrossEntropyFuncOptions().label_smoothing(
                                    options_.label_smoothing));
    double loss_value = 0;
    const auto read = [&] {
      loss_value = loss.item<double>();
      check_finite(loss_value, "loss", batch.step);
    };
    if (shards > 1) {
      // Shards of unequal size: weight each shard's mean so that the mean over ranks is the
      // mean over the global batch.
      batch.optimize(
          loss * (static_cast<double>((to - from) * shards) / static_cast<double>(global)), read);
    } else {
      batch.optimize(loss, read);
    }
    const auto rows = to - from;
    loss_sum += loss_value * static_cast<double>(rows);
    correct += logits.argmax(1).eq(labels).sum().item<std::int64_t>();
    seen += rows;
    return BatchCounts{loss_value * static_cast<double>(rows), static_cast<double>(rows), rows};
  };
  if (hooks_.after_backward) loop_hooks.after_backward = [&] { hooks_.after_backward(model_); };
  if (hooks_.after_step) loop_hooks.after_step = [&] { hooks_.after_step(model_); };
  loop_hooks.evaluate = [&](const Epoch& epoch) {
    if (hooks_.reduce_sums) {
      std::vector<double> sums = {loss_sum, static_cast<double>(correct),
                                  static_cast<double>(seen)};
      hooks_.reduce_sums(sums);
      loss_sum = sums[0];
      correct = static_cast<std::int64_t>(std::llround(sums[1]));
      seen = static_cast<std::int64_t>(std::llround(sums[2]));
    }
    const double train_seconds = epoch.seconds();
    EpochMetrics m;
    m.epoch = epoch.number;
    m.lr = epoch.lr;
    m.train_loss = seen > 0 ? loss_sum / static_cast<double>(seen) : 0.0;
    m.train_accuracy = seen > 0 ? static_cast<double>(correct) / static_cast<double>(seen) : 0.0;
    m.images_per_second = train_seconds > 0 ? static_cast<double>(seen) / train_seconds : 0.0;
    if (data.test.size() > 0) {
      const EvalOptions eval_options{options_.eval_batch_size, options_.progress, "test"};
      const auto eval = hooks_.evaluate ? hooks_.evaluate(model_, data.test, eval_options)
                                        : evaluate(model_, data.test, eval_options);
      m.test_loss = eval.loss;
      m.test_accuracy = eval.accuracy;
    }
    m.seconds = epoch.seconds();
    const bool go_on = !hooks_.after_epoch || hooks_.after_epoch(model_, m);
    history_.push_back(m);
    return EpochEnd{m.test_loss, m.seconds, !go_on};
  };
  loop_hooks.save = [&](const LoopState&) { return write_checkpoint(); };
  loop_hooks.after_epoch = [&](const Epoch&) { write_metrics(); };

  TrainResult result;
  result.stopped_early = loop_->run(loop_hooks);
  result.history = history_;
  result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return result;
}

}  // namespace nnlab::train
