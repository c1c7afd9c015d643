#include "nnlab/seq2seq/seq2seq_trainer.h"

#include <torch/serialize.h>
#include <torch/torch.h>

#include <chrono>
#include <cmath>
#include <deque>
#include <sstream>

#include "nnlab/core/error.h"
#include "nnlab/seq2seq/attention_regularizer.h"
#include "nnlab/seq2seq/decoding/translator.h"
#include "nnlab/text/batching.h"
#include "nnlab/text/sequence_metrics.h"
#include "nnlab/train/divergence.h"
#include "nnlab/train/optimizer_state.h"
#include "nnlab/train/training_loop.h"

namespace nnlab::seq2seq {

namespace {

models::TensorList average(const std::deque<models::TensorList>& window) {
  models::TensorList mean = window.front();
  for (auto& [name, t] : mean) t = t.to(torch::kDouble);
  for (std::size_t i = 1; i < window.size(); ++i) {
    for (std::size_t j = 0; j < mean.size(); ++j) mean[j].second += window[i][j].second;
  }
  for (std::size_t j = 0; j < mean.size(); ++j) {
    mean[j].second = (mean[j].second / static_cast<double>(window.size()))
                         .to(window.front()[j].second.scalar_type());
  }
  return mean;
}

}  // namespace

void Seq2SeqTrainOptions::validate() const {
  if (epochs < 1)
    throw core::OptionError("Seq2SeqTrainOptions.epochs",
                            "must be >= 1, got " + std::to_string(epochs));
  if (batch_size < 1)
    throw core::OptionError("Seq2SeqTrainOptions.batch_size",
                            "must be >= 1, got " + std::to_string(batch_size));
  train::check_learning_rate(lr, "Seq2SeqTrainOptions.lr");
  if (lr_schedule != "plateau" && lr_schedule != "cosine")
    throw core::OptionError("Seq2SeqTrainOptions.lr_schedule",
                            "expected plateau or cosine, got '" + lr_schedule + "'");
  if (!(lr_decay > 0 && lr_decay <= 1))
    throw core::OptionError("Seq2SeqTrainOptions.lr_decay",
                            "must be in (0, 1], got " + core::number_text(lr_decay));
  if (lr_patience < 1)
    throw core::OptionError("Seq2SeqTrainOptions.lr_patience",
                            "must be >= 1, got " + std::to_string(lr_patience));
  if (clip < 0)
    throw core::OptionError("Seq2SeqTrainOptions.clip",
                            "must be >= 0, got " + core::number_text(clip));
  if (label_smoothing < 0 || label_smoothing >= 1)
    throw core::OptionError("Seq2SeqTrainOptions.label_smoothing",
                            "must be in [0, 1), got " + core::number_text(label_smoothing));
  if (attention_lambda < 0)
    throw core::OptionError("Seq2SeqTrainOptions.attention_lambda",
                            "must be >= 0, got " + core::number_text(attention_lambda));
  if (average_last < 1)
    throw core::OptionError("Seq2SeqTrainOptions.average_last",
                            "must be >= 1, got " + std::to_string(average_last));
  if (patience < 0)
    throw core::OptionError("Seq2SeqTrainOptions.patience",
                            "must be >= 0, got " + std::to_string(patience));
  if (max_minutes < 0)
    throw core::OptionError("Seq2SeqTrainOptions.max_minutes",
                            "must be >= 0, got " + core::number_text(max_minutes));
  sampling.validate();
}

nlohmann::json Seq2SeqTrainOptions::to_json() const {
  return {{"epochs", epochs},
          {"batch_size", batch_size},
          {"lr", lr},
          {"lr_schedule", lr_schedule},
          {"lr_decay", lr_decay},
          {"lr_patience", lr_patience},
          {"min_lr", min_lr},
          {"clip", clip},
          {"label_smoothing", label_smoothing},
          {"attention_lambda", attention_lambda},
          {"attention_tau", attention_tau},
          {"sampling",
           {{"schedule", sampling.schedule},
            {"slope", sampling.slope},
            {"k", sampling.k},
            {"floor", sampling.floor},
            {"start_epoch", sampling.start_epoch}}},
          {"average_last", average_last},
          {"patience", patience},
          {"max_minutes", max_minutes},
          {"seed", seed}};
}

nlohmann::json Seq2SeqEpoch::to_json() const {
  return {{"epoch", epoch},
          {"lr", lr},
          {"teacher_forcing", teacher_forcing},
          {"loss", loss},
          {"attention_penalty", attention_penalty},
          {"dev_wer", dev_wer},
          {"dev_per", dev_per},
          {"seconds", seconds},
          {"examples_per_second", examples_per_second}};
}

Seq2SeqEpoch Seq2SeqEpoch::from_json(const nlohmann::json& j) {
  Seq2SeqEpoch e;
  e.epoch = j.at("epoch").get<int>();
  e.lr = j.at("lr").get<double>();
  e.teacher_forcing = j.at("teacher_forcing").get<double>();
  e.loss = j.at("loss").get<double>();
  e.attention_penalty = j.at("attention_penalty").get<double>();
  e.dev_wer = j.at("dev_wer").get<double>();
  e.dev_per = j.at("dev_per").get<double>();
  e.seconds = j.at("seconds").get<double>();
  e.examples_per_second = j.at("examples_per_second").get<double>();
  return e;
}

nlohmann::json Seq2SeqTrainResult::to_json() const {
  nlohmann::json epochs = nlohmann::json::array();
  for (const auto& e : history) epochs.push_back(e.to_json());
  return {{"epochs", epochs},
          {"seconds", seconds},
          {"best_epoch", best_epoch},
          {"best_dev_wer", best_dev_wer},
          {"averaged_dev_wer", averaged_dev_wer},
          {"kept", kept},
          {"dev_wer", dev_wer},
          {"dev_per", dev_per},
          {"stopped_early", stopped_early}};
}

BatchLoss sequence_loss(const SequenceOutput& output, const torch::Tensor& target_output,
                        const torch::Tensor& source_mask, double label_smoothing,
                        double attention_lambda, double attention_tau) {
  const auto vocabulary = output.logits.size(2);
  BatchLoss loss;
  loss.cross_entropy = torch::nn::functional::cross_entropy(
      output.logits.reshape({-1, vocabulary}), target_output.reshape({-1}),
      torch::nn::functional::CrossEntropyFuncOptions()
          .ignore_index(Vocabulary::kPad)
          .label_smoothing(label_smoothing));
  loss.total = loss.cross_entropy;
  if (attention_lambda > 0) {
    const auto target_mask = target_output.ne(Vocabulary::kPad);
    loss.attention_penalty =
        attention_regularizer(output.attention, source_mask, target_mask, attention_tau);
    loss.total = loss.total + attention_lambda * loss.attention_penalty;
  }
  return loss;
}

BatchLossValues checked_values(const BatchLoss& loss, const train::TrainingStep& step) {
  BatchLossValues values;
  values.cross_entropy = loss.cross_entropy.item<double>();
  train::check_finite(values.cross_entropy, "loss", step);
  if (loss.attention_penalty.defined()) {
    values.attention_penalty = loss.attention_penalty.item<double>();
    train::check_finite(values.attention_penalty, "attention penalty", step);
  }
  return values;
}

// The training loop's state (epochs, rate, time, best epoch, patience) is the loop's; this is
// what the seq2seq trainer adds: the best epoch's PER and weights and the averaging window.
struct Seq2SeqTrainer::State {
  std::unique_ptr<torch::optim::Adam> optimizer;
  std::unique_ptr<train::TrainingLoop> loop;
  double best_per = 0;
  std::vector<Seq2SeqEpoch> history;
  models::TensorList best;
  std::deque<models::TensorList> window;
};

Seq2SeqTrainer::Seq2SeqTrainer(SequenceModel& model, Seq2SeqTrainOptions options)
    : model_(model), options_(std::move(options)), state_(std::make_unique<State>()) {
  options_.validate();
  state_->optimizer = std::make_unique<torch::optim::Adam>(model_.model->parameters(),
                                                           torch::optim::AdamOptions(options_.lr));
  train::LoopOptions loop;
  loop.epochs = options_.epochs;
  loop.seed = options_.seed;
  loop.schedule.kind = options_.lr_schedule;
  loop.schedule.lr = options_.lr;
  loop.schedule.cosine_per_batch = true;
  loop.schedule.decay = options_.lr_decay;
  loop.schedule.patience = options_.lr_patience;
  loop.schedule.min_lr = options_.min_lr;
  loop.clip = options_.clip;
  loop.patience = options_.patience;
  loop.max_seconds = options_.max_minutes * 60;
  loop.progress = options_.progress;
  state_->loop = std::make_unique<train::TrainingLoop>(*state_->optimizer,
                                                       model_.model->parameters(), std::move(loop));
}

Seq2SeqTrainer::~Seq2SeqTrainer() = default;

void Seq2SeqTrainer::resume(const models::Archive& checkpoint, const std::string& source) {
  if (!checkpoint.meta.contains("trainer") || !checkpoint.blobs.count("optimizer"))
    throw core::FileError(source,
                          "not a training state (no optimizer or progress): use a file "
                          "written by Seq2SeqTrainOptions.checkpoint_path");
  load_sequence_state(*model_.model, checkpoint.state, source);
  auto& loop = state_->loop->state();
  try {
    const auto& t = checkpoint.meta.at("trainer");
    loop.completed = t.at("completed").get<int>();
    loop.lr = t.at("lr").get<double>();
    loop.seconds = t.at("seconds").get<double>();
    loop.best_epoch = t.at("best_epoch").get<int>();
    loop.best_metric = t.at("best_wer").get<double>();
    state_->best_per = t.at("best_per").get<double>();
    loop.bad_epochs = t.at("bad_epochs").get<int>();
    state_->history.clear();
    for (const auto& e : t.at("history")) state_->history.push_back(Seq2SeqEpoch::from_json(e));
    const int window = t.at("window").get<int>();
    state_->window.clear();
    for (int i = 0; i < window; ++i) {
      state_->window.push_back(
          train::load_tensors(checkpoint.blobs.at("window" + std::to_string(i)), source));
    }
    state_->best = train::load_tensors(checkpoint.blobs.at("best"), source);
  } catch (const nlohmann::json::exception& e) {
    throw core::FileError(source, std::string("bad training state: ") + e.what());
  } catch (const std::out_of_range&) {
    throw core::FileError(source, "bad training state: a saved tensor set is missing");
  }
  train::load_optimizer_state(*state_->optimizer, checkpoint.blobs.at("optimizer"), source);
  train::set_learning_rate(*state_->optimizer, loop.lr);
  loop.last_checkpoint = source;
}

Seq2SeqTrainResult Seq2SeqTrainer::fit(const Corpus& train, const Corpus& dev,
                                       const std::function<void(const Seq2SeqEpoch&)>& on_epoch) {
  if (train.empty()) throw std::invalid_argument("no training examples");
  if (dev.empty()) throw std::invalid_argument("no dev examples");
  auto& s = *state_;
  auto& net = *model_.model;
  const auto device = net.device();
  const auto examples = make_examples(train, model_.source_vocabulary, model_.target_vocabulary);
  const auto examples_per_epoch = static_cast<double>(examples.size());
  std::vector<Tokens> dev_sources;
  for (const auto& e : dev) dev_sources.push_back(e.source);
  TranslateOptions dev_options;
  dev_options.batch_size = options_.dev_batch_size;
  const auto dev_scores = [&] {
    const auto outputs = best_outputs(model_, translate(model_, dev_sources, dev_options));
    return score_sequences(dev, outputs).total;
  };

  std::vector<std::vector<std::int64_t>> batches;
  Seq2SeqEpoch record;
  double loss_sum = 0, penalty_sum = 0;
  std::int64_t tokens = 0, sequences = 0;
  train::LoopHooks hooks;
  hooks.begin_epoch = [&](const train::Epoch& epoch) {
    BucketOptions bucket;
    bucket.batch_size = options_.batch_size;
    bucket.seed = epoch.seeds.data;
    batches = bucket_batches(examples, bucket);
    record = Seq2SeqEpoch();
    record.epoch = epoch.number;
    record.lr = epoch.lr;
    record.teacher_forcing = teacher_forcing_probability(options_.sampling, epoch.number - 1);
    net.train();
    loss_sum = penalty_sum = 0;
    tokens = sequences = 0;
    return train::EpochPlan{static_cast<std::int64_t>(batches.size()), 0};
  };
  hooks.train_batch = [&](train::Batch& step) {
    const auto i = static_cast<std::size_t>(step.index);
    const double progress_epochs =
        (record.epoch - 1) + static_cast<double>(i) / static_cast<double>(batches.size());
    const auto batch = make_batch(examples, batches[i], device);
    const auto output =
        net.forward(batch, teacher_forcing_probability(options_.sampling, progress_epochs));
    const auto source_mask = length_mask(batch.source_lengths.to(device), batch.source.size(1));
    const auto loss =
        sequence_loss(output, batch.target_output, source_mask, options_.label_smoothing,
                      options_.attention_lambda, options_.attention_tau);
    BatchLossValues values;
    step.optimize(loss.total, [&] { values = checked_values(loss, step.step); });
    const auto n_tokens = batch.target_tokens();
    loss_sum += values.cross_entropy * static_cast<double>(n_tokens);
    tokens += n_tokens;
    const auto n = static_cast<std::int64_t>(batches[i].size());
    penalty_sum += values.attention_penalty * static_cast<double>(n);
    sequences += n;
    return train::BatchCounts{values.cross_entropy * static_cast<double>(n_tokens),
                              static_cast<double>(n_tokens)};
  };
  hooks.evaluate = [&](const train::Epoch& epoch) {
    record.loss = loss_sum / static_cast<double>(std::max<std::int64_t>(tokens, 1));
    record.attention_penalty =
        penalty_sum / static_cast<double>(std::max<std::int64_t>(sequences, 1));
    record.examples_per_second = examples_per_epoch / std::max(epoch.seconds(), 1e-9);
    const auto counts = dev_scores();
    record.dev_wer = counts.wer();
    record.dev_per = counts.per();
    record.seconds = epoch.seconds();
    s.window.push_back(sequence_state(net));
    while (static_cast<int>(s.window.size()) > options_.average_last) s.window.pop_front();
    s.history.push_back(record);
    return train::EpochEnd{record.dev_wer, record.seconds};
  };
  hooks.on_best = [&] {
    s.best_per = record.dev_per;
    s.best = s.window.back();
  };
  hooks.save = [&](const train::LoopState& loop) -> std::string {
    if (options_.checkpoint_path.empty()) return {};
    auto checkpoint = to_archive(model_);
    nlohmann::json history = nlohmann::json::array();
    for (const auto& e : s.history) history.push_back(e.to_json());
    checkpoint.meta["trainer"] = {{"completed", loop.completed},   {"lr", loop.lr},
                                  {"seconds", loop.seconds},       {"best_epoch", loop.best_epoch},
                                  {"best_wer", loop.best_metric},  {"best_per", s.best_per},
                                  {"bad_epochs", loop.bad_epochs}, {"history", history},
                                  {"window", s.window.size()},     {"options", options_.to_json()}};
    checkpoint.blobs["optimizer"] = train::save_optimizer_state(*s.optimizer);
    checkpoint.blobs["best"] = train::save_tensors(s.best);
    for (std::size_t i = 0; i < s.window.size(); ++i)
      checkpoint.blobs["window" + std::to_string(i)] = train::save_tensors(s.window[i]);
    models::save_archive(options_.checkpoint_path, checkpoint);
    return options_.checkpoint_path;
  };
  if (on_epoch) hooks.after_epoch = [&](const train::Epoch&) { on_epoch(record); };

  Seq2SeqTrainResult result;
  result.stopped_early = s.loop->run(hooks);
  const auto& loop = s.loop->state();
  result.history = s.history;
  result.seconds = loop.seconds;
  result.best_epoch = loop.best_epoch;
  result.best_dev_wer = loop.best_metric;
  if (s.window.size() > 1) {
    load_sequence_state(net, average(s.window), "averaged weights");
    const auto averaged = dev_scores();
    result.averaged_dev_wer = averaged.wer();
    if (averaged.wer() <= loop.best_metric) {
      result.kept = "averaged";
      result.dev_wer = averaged.wer();
      result.dev_per = averaged.per();
    }
  }
  if (result.kept.empty()) {
    // The best epoch's weights were scored when that epoch ended.
    load_sequence_state(net, s.best, "best epoch");
    result.kept = "epoch " + std::to_string(loop.best_epoch);
    result.dev_wer = loop.best_metric;
    result.dev_per = s.best_per;
  }
  net.eval();
  return result;
}

}  // namespace nnlab::seq2seq
