#include "nnlab/seq2seq/caption_trainer.h"

#include <ATen/CPUGeneratorImpl.h>
#include <torch/torch.h>

#include <chrono>
#include <cmath>
#include <iomanip>
#include <sstream>

#include "nnlab/core/error.h"
#include "nnlab/seq2seq/seq2seq_trainer.h"
#include "nnlab/text/vocabulary.h"
#include "nnlab/train/divergence.h"
#include "nnlab/train/optimizer_state.h"
#include "nnlab/train/training_loop.h"

namespace nnlab::seq2seq {

namespace {

// {target_input <s> w1 .. wn, target_output w1 .. wn </s>}, padded, for the scenes `rows`.
std::pair<torch::Tensor, torch::Tensor> caption_targets(const data::SceneSet& scenes,
                                                        const torch::Tensor& rows,
                                                        const std::vector<std::int64_t>& tokens) {
  const auto n = rows.size(0);
  const auto row_tensor = rows.to(torch::kCPU, torch::kInt64).contiguous();
  const auto* row = row_tensor.data_ptr<std::int64_t>();
  std::size_t longest = 0;
  for (std::int64_t i = 0; i < n; ++i)
    longest = std::max(longest, scenes.labels[static_cast<std::size_t>(row[i])].size());
  const auto width = static_cast<std::int64_t>(longest) + 1;
  auto input = torch::full({n, width}, Vocabulary::kPad, torch::kInt64);
  auto output = torch::full({n, width}, Vocabulary::kPad, torch::kInt64);
  for (std::int64_t i = 0; i < n; ++i) {
    const auto& labels = scenes.labels[static_cast<std::size_t>(row[i])];
    auto* in = input.data_ptr<std::int64_t>() + i * width;
    auto* out = output.data_ptr<std::int64_t>() + i * width;
    in[0] = Vocabulary::kBegin;
    for (std::size_t k = 0; k < labels.size(); ++k) {
      const auto token = tokens[static_cast<std::size_t>(labels[k])];
      in[k + 1] = token;
      out[k] = token;
    }
    out[labels.size()] = Vocabulary::kEnd;
  }
  return {input, output};
}

}  // namespace

void CaptionTrainOptions::validate() const {
  if (epochs < 1)
    throw core::OptionError("CaptionTrainOptions.epochs",
                            "must be >= 1, got " + std::to_string(epochs));
  if (batch_size < 1)
    throw core::OptionError("CaptionTrainOptions.batch_size",
                            "must be >= 1, got " + std::to_string(batch_size));
  train::check_learning_rate(lr, "CaptionTrainOptions.lr");
  if (clip < 0)
    throw core::OptionError("CaptionTrainOptions.clip",
                            "must be >= 0, got " + core::number_text(clip));
  if (label_smoothing < 0 || label_smoothing >= 1)
    throw core::OptionError("CaptionTrainOptions.label_smoothing",
                            "must be in [0, 1), got " + core::number_text(label_smoothing));
  if (attention_lambda < 0)
    throw core::OptionError("CaptionTrainOptions.attention_lambda",
                            "must be >= 0, got " + core::number_text(attention_lambda));
  if (attention_tau < 0)
    throw core::OptionError("CaptionTrainOptions.attention_tau",
                            "must be >= 0, got " + core::number_text(attention_tau));
}

nlohmann::json CaptionTrainOptions::to_json() const {
  return {{"epochs", epochs},
          {"batch_size", batch_size},
          {"lr", lr},
          {"clip", clip},
          {"label_smoothing", label_smoothing},
          {"attention_lambda", attention_lambda},
          {"attention_tau", attention_tau},
          {"seed", seed}};
}

nlohmann::json CaptionEpoch::to_json() const {
  return {{"epoch", epoch},
          {"lr", lr},
          {"loss", loss},
          {"attention_penalty", attention_penalty},
          {"dev", dev.to_json()},
          {"seconds", seconds},
          {"scenes_per_second", scenes_per_second}};
}

std::vector<CaptionEpoch> train_captioner(
    CaptionModel& model, const SceneSource& scenes, const data::SceneSet& dev,
    const CaptionTrainOptions& options, const std::function<void(const CaptionEpoch&)>& on_epoch) {
  options.validate();
  if (dev.size() == 0) throw std::invalid_argument("no dev scenes");
  auto& net = model.model;
  const auto device = net->device();
  const auto tokens = model.class_tokens();
  torch::optim::Adam optimizer(net->parameters(), torch::optim::AdamOptions(options.lr));
  train::LoopOptions loop_options;
  loop_options.epochs = options.epochs;
  loop_options.seed = options.seed;
  loop_options.schedule.kind = "cosine";
  loop_options.schedule.lr = options.lr;
  loop_options.clip = options.clip;
  loop_options.progress = options.progress;
  // The captioner writes no checkpoint: the caller saves the model after the last epoch.
  train::TrainingLoop loop(optimizer, net->parameters(), std::move(loop_options));

  std::vector<CaptionEpoch> history;
  data::SceneSet train;
  torch::Tensor order;
  CaptionEpoch record;
  double loss_sum = 0, penalty_sum = 0;
  std::int64_t words = 0;
  train::LoopHooks hooks;
  hooks.begin_epoch = [&](const train::Epoch& epoch) {
    train = scenes(epoch.number);
    if (train.size() == 0) throw std::invalid_argument("no scenes to train on");
    record = CaptionEpoch();
    record.epoch = epoch.number;
    record.lr = epoch.lr;
    auto generator = at::make_generator<at::CPUGeneratorImpl>(epoch.seeds.data);
    order = torch::randperm(train.size(), generator, torch::kLong);
    net->train();
    loss_sum = penalty_sum = 0;
    words = 0;
    return train::EpochPlan{(train.size() + options.batch_size - 1) / options.batch_size, 0};
  };
  hooks.train_batch = [&](train::Batch& step) {
    const auto b = step.index;
    const auto rows =
        order.narrow(0, b * options.batch_size,
                     std::min(options.batch_size, train.size() - b * options.batch_size));
    const auto images = train.images.index_select(0, rows).to(device);
    auto [input, target] = caption_targets(train, rows, tokens);
    input = input.to(device);
    target = target.to(device);
    const auto output = net->forward(images, input);
    const auto regions = output.attention.size(2);
    const auto mask = torch::ones({images.size(0), regions},
                                  torch::TensorOptions().dtype(torch::kBool).device(device));
    const double tau = options.attention_tau > 0
                           ? options.attention_tau
                           : static_cast<double>(target.size(1)) / static_cast<double>(regions);
    const auto loss =
        sequence_loss(output, target, mask, options.label_smoothing, options.attention_lambda, tau);
    BatchLossValues values;
    step.optimize(loss.total, [&] { values = checked_values(loss, step.step); });
    const auto n_words = target.ne(Vocabulary::kPad).sum().item<std::int64_t>();
    loss_sum += values.cross_entropy * static_cast<double>(n_words);
    words += n_words;
    penalty_sum += values.attention_penalty * static_cast<double>(rows.size(0));
    return train::BatchCounts{values.cross_entropy * static_cast<double>(n_words),
                              static_cast<double>(n_words)};
  };
  hooks.evaluate = [&](const train::Epoch& epoch) {
    record.loss = loss_sum / static_cast<double>(std::max<std::int64_t>(words, 1));
    record.attention_penalty = penalty_sum / static_cast<double>(train.size());
    record.scenes_per_second = static_cast<double>(train.size()) / std::max(epoch.seconds(), 1e-9);
    SearchOptions greedy;
    greedy.attention = true;
    record.dev = score_captions(model, caption_images(model, dev.images, greedy), dev);
    record.seconds = epoch.seconds();
    history.push_back(record);
    // Higher accuracy is better; no schedule or stop of the captioner reads it.
    return train::EpochEnd{-record.dev.word_accuracy, record.seconds};
  };
  if (on_epoch) hooks.after_epoch = [&](const train::Epoch&) { on_epoch(record); };
  loop.run(hooks);
  net->eval();
  return history;
}

}  // namespace nnlab::seq2seq
