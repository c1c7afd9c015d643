#include "nnlab/seq2seq/lm_trainer.h"

#include <torch/torch.h>

#include <chrono>
#include <cmath>
#include <iomanip>
#include <limits>
#include <sstream>

#include "nnlab/core/error.h"
#include "nnlab/seq2seq/evaluation/perplexity.h"
#include "nnlab/seq2seq/models/model_file.h"
#include "nnlab/text/batching.h"
#include "nnlab/train/divergence.h"
#include "nnlab/train/optimizer_state.h"
#include "nnlab/train/training_loop.h"

namespace nnlab::seq2seq {

void LmTrainOptions::validate() const {
  if (epochs < 1)
    throw core::OptionError("LmTrainOptions.epochs", "must be >= 1, got " + std::to_string(epochs));
  if (batch_size < 1)
    throw core::OptionError("LmTrainOptions.batch_size",
                            "must be >= 1, got " + std::to_string(batch_size));
  if (bptt < 1)
    throw core::OptionError("LmTrainOptions.bptt", "must be >= 1, got " + std::to_string(bptt));
  train::check_learning_rate(lr, "LmTrainOptions.lr");
  if (!(lr_decay > 0 && lr_decay <= 1))
    throw core::OptionError("LmTrainOptions.lr_decay",
                            "must be in (0, 1], got " + core::number_text(lr_decay));
  if (clip < 0)
    throw core::OptionError("LmTrainOptions.clip", "must be >= 0, got " + core::number_text(clip));
  if (patience < 0)
    throw core::OptionError("LmTrainOptions.patience",
                            "must be >= 0, got " + std::to_string(patience));
}

nlohmann::json LmTrainOptions::to_json() const {
  return {{"epochs", epochs}, {"batch_size", batch_size}, {"bptt", bptt},
          {"lr", lr},         {"lr_decay", lr_decay},     {"min_lr", min_lr},
          {"clip", clip},     {"patience", patience},     {"seed", seed}};
}

nlohmann::json LmEpoch::to_json() const {
  return {{"epoch", epoch},     {"lr", lr},
          {"loss", loss},       {"dev_perplexity", dev_perplexity},
          {"seconds", seconds}, {"tokens_per_second", tokens_per_second}};
}

LmEpoch LmEpoch::from_json(const nlohmann::json& j) {
  LmEpoch e;
  e.epoch = j.at("epoch").get<int>();
  e.lr = j.at("lr").get<double>();
  e.loss = j.at("loss").get<double>();
  e.dev_perplexity = j.at("dev_perplexity").get<double>();
  e.seconds = j.at("seconds").get<double>();
  e.tokens_per_second = j.at("tokens_per_second").get<double>();
  return e;
}

nlohmann::json LmTrainResult::to_json() const {
  nlohmann::json epochs = nlohmann::json::array();
  for (const auto& e : history) epochs.push_back(e.to_json());
  return {{"epochs", epochs},
          {"seconds", seconds},
          {"best_epoch", best_epoch},
          {"best_dev_perplexity", best_dev_perplexity},
          {"stopped_early", stopped_early}};
}

// The training loop's state (epochs, rate, time, best epoch, patience) is the loop's; this is
// what the language-model trainer adds: the best epoch's weights.
struct LmTrainer::State {
  std::unique_ptr<torch::optim::Adam> optimizer;
  std::unique_ptr<train::TrainingLoop> loop;
  std::vector<LmEpoch> history;
  models::TensorList best;
};

LmTrainer::LmTrainer(LanguageModelFile& model, LmTrainOptions options)
    : model_(model), options_(std::move(options)), state_(std::make_unique<State>()) {
  options_.validate();
  state_->optimizer = std::make_unique<torch::optim::Adam>(model_.model->parameters(),
                                                           torch::optim::AdamOptions(options_.lr));
  train::LoopOptions loop;
  loop.epochs = options_.epochs;
  loop.seed = options_.seed;
  // Decay after every epoch without progress on dev.
  loop.schedule.kind = "plateau";
  loop.schedule.lr = options_.lr;
  loop.schedule.decay = options_.lr_decay;
  loop.schedule.patience = 1;
  loop.schedule.min_lr = options_.min_lr;
  loop.clip = options_.clip;
  loop.patience = options_.patience;
  // exp of a mean loss above 709 nats (a uniform guess costs ln V): the weights blew up though
  // the saturating cells kept every training loss finite.
  loop.metric_name = "dev perplexity";
  loop.progress = options_.progress;
  state_->loop = std::make_unique<train::TrainingLoop>(*state_->optimizer,
                                                       model_.model->parameters(), std::move(loop));
}

LmTrainer::~LmTrainer() = default;

void LmTrainer::resume(const models::Archive& checkpoint, const std::string& source) {
  if (!checkpoint.meta.contains("trainer") || !checkpoint.blobs.count("optimizer") ||
      !checkpoint.blobs.count("best"))
    throw core::FileError(source,
                          "not a training state (no optimizer or progress): use a file written "
                          "by LmTrainOptions.checkpoint_path");
  load_sequence_state(*model_.model, checkpoint.state, source);
  auto& s = *state_;
  auto& loop = s.loop->state();
  try {
    const auto& t = checkpoint.meta.at("trainer");
    loop.completed = t.at("completed").get<int>();
    loop.lr = t.at("lr").get<double>();
    loop.seconds = t.at("seconds").get<double>();
    loop.best_epoch = t.at("best_epoch").get<int>();
    loop.best_metric = t.at("best_perplexity").get<double>();
    loop.bad_epochs = t.at("bad_epochs").get<int>();
    s.history.clear();
    for (const auto& e : t.at("history")) s.history.push_back(LmEpoch::from_json(e));
  } catch (const nlohmann::json::exception& e) {
    throw core::FileError(source, std::string("bad training state: ") + e.what());
  }
  s.best = train::load_tensors(checkpoint.blobs.at("best"), source);
  train::load_optimizer_state(*s.optimizer, checkpoint.blobs.at("optimizer"), source);
  train::set_learning_rate(*s.optimizer, loop.lr);
  loop.last_checkpoint = source;
}

LmTrainResult LmTrainer::fit(const std::vector<std::vector<std::int64_t>>& train,
                             const std::vector<std::vector<std::int64_t>>& dev,
                             const std::function<void(const LmEpoch&)>& on_epoch) {
  if (train.empty()) throw std::invalid_argument("no training documents");
  if (dev.empty()) throw std::invalid_argument("no dev documents");
  auto& s = *state_;
  auto& net = model_.model;
  const auto device = net->device();
  std::vector<Example> examples(train.size());
  for (std::size_t i = 0; i < train.size(); ++i) {
    examples[i].source = train[i];
    examples[i].entry = static_cast<std::int64_t>(i);
  }

  std::vector<std::vector<std::int64_t>> batches;
  LmEpoch record;
  double nll = 0;
  std::int64_t tokens = 0;
  train::LoopHooks hooks;
  hooks.begin_epoch = [&](const train::Epoch& epoch) {
    BucketOptions bucket;
    bucket.batch_size = options_.batch_size;
    bucket.seed = epoch.seeds.data;
    batches = bucket_batches(examples, bucket);
    record = LmEpoch();
    record.epoch = epoch.number;
    record.lr = epoch.lr;
    net->train();
    nll = 0;
    tokens = 0;
    return train::EpochPlan{static_cast<std::int64_t>(batches.size()), 0};
  };
  hooks.train_batch = [&](train::Batch& step) {
    const auto batch =
        make_document_batch(train, batches[static_cast<std::size_t>(step.index)], device);
    train::BatchCounts counts;
    for_each_chunk(net, batch, options_.bptt, [&](const torch::Tensor& sum, std::int64_t count) {
      // The sum kept for the metrics: read anyway.
      double chunk_nll = 0;
      step.optimize(sum / static_cast<double>(count), [&] {
        chunk_nll = sum.item<double>();
        train::check_finite(chunk_nll, "loss", step.step);
      });
      nll += chunk_nll;
      tokens += count;
      counts.loss_sum += chunk_nll;
      counts.loss_weight += static_cast<double>(count);
    });
    return counts;
  };
  hooks.evaluate = [&](const train::Epoch& epoch) {
    record.loss = nll / static_cast<double>(std::max<std::int64_t>(tokens, 1));
    record.tokens_per_second = static_cast<double>(tokens) / std::max(epoch.seconds(), 1e-9);
    record.dev_perplexity = model_perplexity(net, dev).per_token();
    record.seconds = epoch.seconds();
    s.history.push_back(record);
    return train::EpochEnd{record.dev_perplexity, record.seconds};
  };
  hooks.on_best = [&] { s.best = sequence_state(*net); };
  hooks.save = [&](const train::LoopState& loop) -> std::string {
    if (options_.checkpoint_path.empty()) return {};
    auto checkpoint = to_archive(model_);
    nlohmann::json history = nlohmann::json::array();
    for (const auto& e : s.history) history.push_back(e.to_json());
    checkpoint.meta["trainer"] = {{"completed", loop.completed},
                                  {"lr", loop.lr},
                                  {"seconds", loop.seconds},
                                  {"best_epoch", loop.best_epoch},
                                  {"best_perplexity", loop.best_metric},
                                  {"bad_epochs", loop.bad_epochs},
                                  {"history", history},
                                  {"options", options_.to_json()}};
    checkpoint.blobs["optimizer"] = train::save_optimizer_state(*s.optimizer);
    checkpoint.blobs["best"] = train::save_tensors(s.best);
    models::save_archive(options_.checkpoint_path, checkpoint);
    return options_.checkpoint_path;
  };
  if (on_epoch) hooks.after_epoch = [&](const train::Epoch&) { on_epoch(record); };

  LmTrainResult result;
  result.stopped_early = s.loop->run(hooks);
  const auto& loop = s.loop->state();
  result.history = s.history;
  result.seconds = loop.seconds;
  result.best_epoch = loop.best_epoch;
  result.best_dev_perplexity = loop.best_metric;
  load_sequence_state(*net, s.best, "best epoch");
  net->eval();
  return result;
}

}  // namespace nnlab::seq2seq
