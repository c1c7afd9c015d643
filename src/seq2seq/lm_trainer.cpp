#include "nnlab/seq2seq/lm_trainer.h"

#include <torch/torch.h>

#include <chrono>
#include <cmath>
#include <iomanip>
#include <limits>
#include <sstream>

#include "nnlab/core/error.h"
#include "nnlab/core/progress.h"
#include "nnlab/seq2seq/evaluation/perplexity.h"
#include "nnlab/seq2seq/models/model_file.h"
#include "nnlab/text/batching.h"
#include "nnlab/train/divergence.h"
#include "nnlab/train/optimizer_state.h"

namespace nnlab::seq2seq {

void LmTrainOptions::validate() const {
  if (epochs < 1) throw core::OptionError("--epochs", "must be >= 1");
  if (batch_size < 1) throw core::OptionError("--batch-size", "must be >= 1");
  if (bptt < 1) throw core::OptionError("--bptt", "must be >= 1");
  if (!(lr > 0 && std::isfinite(lr)))
    throw core::OptionError("--lr", "must be a finite number > 0");
  if (!(lr_decay > 0 && lr_decay <= 1)) throw core::OptionError("--lr-decay", "must be in (0, 1]");
  if (clip < 0) throw core::OptionError("--clip", "must be >= 0");
  if (patience < 0) throw core::OptionError("--patience", "must be >= 0");
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

struct LmTrainer::State {
  std::unique_ptr<torch::optim::Adam> optimizer;
  int completed = 0;
  double lr = 0;
  double seconds = 0;
  int best_epoch = 0;
  double best_perplexity = std::numeric_limits<double>::infinity();
  int bad_epochs = 0;
  std::vector<LmEpoch> history;
  models::TensorList best;
  std::string last_checkpoint;  // the last good training state on disk: written or resumed from
};

LmTrainer::LmTrainer(LanguageModelFile& model, LmTrainOptions options)
    : model_(model), options_(std::move(options)), state_(std::make_unique<State>()) {
  options_.validate();
  state_->lr = options_.lr;
  state_->optimizer = std::make_unique<torch::optim::Adam>(model_.model->parameters(),
                                                           torch::optim::AdamOptions(options_.lr));
}

LmTrainer::~LmTrainer() = default;

void LmTrainer::resume(const models::Archive& checkpoint, const std::string& source) {
  if (!checkpoint.meta.contains("trainer") || !checkpoint.blobs.count("optimizer") ||
      !checkpoint.blobs.count("best"))
    throw core::FileError(source,
                          "not a training state (no optimizer or progress): use a file written "
                          "by --checkpoint");
  load_sequence_state(*model_.model, checkpoint.state, source);
  auto& s = *state_;
  try {
    const auto& t = checkpoint.meta.at("trainer");
    s.completed = t.at("completed").get<int>();
    s.lr = t.at("lr").get<double>();
    s.seconds = t.at("seconds").get<double>();
    s.best_epoch = t.at("best_epoch").get<int>();
    s.best_perplexity = t.at("best_perplexity").get<double>();
    s.bad_epochs = t.at("bad_epochs").get<int>();
    s.history.clear();
    for (const auto& e : t.at("history")) s.history.push_back(LmEpoch::from_json(e));
  } catch (const nlohmann::json::exception& e) {
    throw core::FileError(source, std::string("bad training state: ") + e.what());
  }
  s.best = train::load_tensors(checkpoint.blobs.at("best"), source);
  train::load_optimizer_state(*s.optimizer, checkpoint.blobs.at("optimizer"), source);
  train::set_learning_rate(*s.optimizer, s.lr);
  s.last_checkpoint = source;
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

  LmTrainResult result;
  bool stop = false;
  for (int epoch = s.completed + 1; epoch <= options_.epochs && !stop; ++epoch) {
    const auto begin = std::chrono::steady_clock::now();
    torch::manual_seed(static_cast<std::uint64_t>(options_.seed) * 1000003u +
                       static_cast<std::uint64_t>(epoch));
    BucketOptions bucket;
    bucket.batch_size = options_.batch_size;
    bucket.seed =
        static_cast<std::uint64_t>(options_.seed) * 7919u + static_cast<std::uint64_t>(epoch);
    const auto batches = bucket_batches(examples, bucket);
    LmEpoch record;
    record.epoch = epoch;
    record.lr = s.lr;
    net->train();
    core::Progress progress("epoch " + std::to_string(epoch),
                            static_cast<std::int64_t>(batches.size()), "batch");
    if (!options_.progress) progress.finish();
    double nll = 0;
    std::int64_t tokens = 0;
    std::int64_t batch_number = 0;
    for (const auto& rows : batches) {
      const auto batch = make_document_batch(train, rows, device);
      const train::TrainingStep step{epoch, ++batch_number, s.lr, s.last_checkpoint};
      for_each_chunk(net, batch, options_.bptt, [&](const torch::Tensor& sum, std::int64_t count) {
        const auto loss = sum / static_cast<double>(count);
        s.optimizer->zero_grad();
        loss.backward();
        // The sum kept for the metrics and the norm that clipping computes: read anyway.
        const double chunk_nll = sum.item<double>();
        train::check_finite(chunk_nll, "loss", step);
        train::clip_gradients(net->parameters(), options_.clip, step);
        s.optimizer->step();
        nll += chunk_nll;
        tokens += count;
      });
      if (options_.progress) {
        progress.advance();
        std::ostringstream post;
        post << "loss " << std::fixed << std::setprecision(3)
             << nll / static_cast<double>(std::max<std::int64_t>(tokens, 1));
        progress.set_postfix(post.str());
      }
    }
    progress.finish();
    record.loss = nll / static_cast<double>(std::max<std::int64_t>(tokens, 1));
    const double train_seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - begin).count();
    record.tokens_per_second = static_cast<double>(tokens) / std::max(train_seconds, 1e-9);
    record.dev_perplexity = model_perplexity(net, dev).per_token();
    // exp of a mean loss above 709 nats (a uniform guess costs ln V): the weights blew up though
    // the saturating cells kept every training loss finite.
    train::check_finite(record.dev_perplexity, "dev perplexity",
                        {epoch, 0, s.lr, s.last_checkpoint});
    record.seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - begin).count();
    s.seconds += record.seconds;

    if (record.dev_perplexity < s.best_perplexity) {
      s.best_perplexity = record.dev_perplexity;
      s.best_epoch = epoch;
      s.best = sequence_state(*net);
      s.bad_epochs = 0;
    } else {
      ++s.bad_epochs;
      s.lr = std::max(options_.min_lr, s.lr * options_.lr_decay);
      train::set_learning_rate(*s.optimizer, s.lr);
    }
    s.history.push_back(record);
    s.completed = epoch;
    if (options_.patience > 0 && s.bad_epochs >= options_.patience) {
      stop = true;
      result.stopped_early = epoch < options_.epochs;
    }
    if (!options_.checkpoint_path.empty()) {
      auto checkpoint = to_archive(model_);
      nlohmann::json history = nlohmann::json::array();
      for (const auto& e : s.history) history.push_back(e.to_json());
      checkpoint.meta["trainer"] = {{"completed", s.completed},
                                    {"lr", s.lr},
                                    {"seconds", s.seconds},
                                    {"best_epoch", s.best_epoch},
                                    {"best_perplexity", s.best_perplexity},
                                    {"bad_epochs", s.bad_epochs},
                                    {"history", history},
                                    {"options", options_.to_json()}};
      checkpoint.blobs["optimizer"] = train::save_optimizer_state(*s.optimizer);
      checkpoint.blobs["best"] = train::save_tensors(s.best);
      models::save_archive(options_.checkpoint_path, checkpoint);
      s.last_checkpoint = options_.checkpoint_path;
    }
    if (on_epoch) on_epoch(record);
  }
  result.history = s.history;
  result.seconds = s.seconds;
  result.best_epoch = s.best_epoch;
  result.best_dev_perplexity = s.best_perplexity;
  load_sequence_state(*net, s.best, "best epoch");
  net->eval();
  return result;
}

}  // namespace nnlab::seq2seq
