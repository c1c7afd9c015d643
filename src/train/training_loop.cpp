#include "nnlab/train/training_loop.h"

#include <torch/optim/optimizer.h>
#include <torch/utils.h>

#include <algorithm>
#include <cmath>
#include <iomanip>
#include <memory>
#include <sstream>
#include <stdexcept>

#include "nnlab/core/error.h"
#include "nnlab/core/progress.h"
#include "nnlab/core/seed.h"
#include "nnlab/train/optimizer_state.h"

namespace nnlab::train {

void check_learning_rate(double lr, const std::string& option) {
  if (!(lr > 0 && std::isfinite(lr))) {
    throw core::OptionError(option, "must be a finite number > 0, got " + core::number_text(lr));
  }
}

EpochSeeds mixed_epoch_seeds(std::int64_t seed, int epoch) {
  const auto s = static_cast<std::uint64_t>(seed);
  const auto e = static_cast<std::uint64_t>(epoch);
  return {core::mix_seed(s, e, 1), core::mix_seed(s, e, 2)};
}

double Epoch::seconds() const {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

void Batch::optimize(const torch::Tensor& loss, const std::function<void()>& read) {
  const auto& hooks = *loop_.hooks_;
  loop_.optimizer_.zero_grad();
  loss.backward();
  if (hooks.after_backward) hooks.after_backward();
  if (read) read();
  clip_gradients(loop_.parameters_, loop_.options_.clip, step);
  loop_.optimizer_.step();
  if (hooks.after_step) hooks.after_step();
}

TrainingLoop::TrainingLoop(torch::optim::Optimizer& optimizer,
                           std::vector<torch::Tensor> parameters, LoopOptions options)
    : optimizer_(optimizer), parameters_(std::move(parameters)), options_(std::move(options)) {
  const auto& kind = options_.schedule.kind;
  if (kind != "constant" && kind != "step" && kind != "cosine" && kind != "plateau")
    throw std::invalid_argument("training loop: unknown learning-rate schedule '" + kind + "'");
  if (kind == "step" && options_.schedule.step_size < 1)
    throw std::invalid_argument("training loop: step schedule with step_size < 1");
  if (kind == "plateau" && options_.schedule.patience < 1)
    throw std::invalid_argument("training loop: plateau schedule with patience < 1");
  state_.lr = options_.schedule.lr;
}

double TrainingLoop::epoch_lr(int epoch) const {
  const auto& s = options_.schedule;
  if (s.kind == "step") return s.lr * std::pow(s.gamma, (epoch - 1) / s.step_size);
  if (s.kind == "cosine")
    return cosine_learning_rate(s.lr, static_cast<double>(epoch - 1) / options_.epochs);
  return state_.lr;  // constant, or where the plateau decay has brought it
}

double TrainingLoop::batch_lr(const Epoch& epoch, std::int64_t batch, std::int64_t batches) const {
  if (options_.schedule.kind != "cosine" || !options_.schedule.cosine_per_batch) return epoch.lr;
  // The point of the run, counted in epochs.
  const double done =
      (epoch.number - 1) + static_cast<double>(batch) / static_cast<double>(batches);
  return cosine_learning_rate(options_.schedule.lr, done / options_.epochs);
}

bool TrainingLoop::end_epoch(const Epoch& epoch, const EpochEnd& end, const LoopHooks& hooks) {
  if (!options_.metric_name.empty())
    check_finite(end.metric, options_.metric_name.c_str(), epoch.step(0));
  state_.seconds += end.seconds;
  if (end.metric < state_.best_metric) {
    state_.best_metric = end.metric;
    state_.best_epoch = epoch.number;
    state_.bad_epochs = 0;
    if (hooks.on_best) hooks.on_best();
  } else {
    ++state_.bad_epochs;
    const auto& s = options_.schedule;
    if (s.kind == "plateau" && state_.bad_epochs % s.patience == 0) {
      state_.lr = std::max(s.min_lr, state_.lr * s.decay);
      set_learning_rate(optimizer_, state_.lr);
    }
  }
  state_.completed = epoch.number;
  return end.stop || (options_.patience > 0 && state_.bad_epochs >= options_.patience) ||
         (options_.max_seconds > 0 && state_.seconds >= options_.max_seconds);
}

bool TrainingLoop::run(const LoopHooks& hooks) {
  hooks_ = &hooks;
  bool stop = false, stopped_early = false;
  for (int number = state_.completed + 1; number <= options_.epochs && !stop; ++number) {
    Epoch epoch;
    epoch.number = number;
    epoch.start = std::chrono::steady_clock::now();
    epoch.seeds = mixed_epoch_seeds(options_.seed, number);
    torch::manual_seed(epoch.seeds.torch);
    epoch.lr = state_.lr = epoch_lr(number);
    set_learning_rate(optimizer_, epoch.lr);
    epoch.last_checkpoint = state_.last_checkpoint;
    const auto plan = hooks.begin_epoch(epoch);

    std::unique_ptr<core::Progress> bar;
    if (options_.progress) {
      bar = std::make_unique<core::Progress>(
          "epoch " + std::to_string(number) + "/" + std::to_string(options_.epochs),
          plan.progress_total > 0 ? plan.progress_total : plan.batches, options_.progress_unit);
    }
    double loss_sum = 0, loss_weight = 0;
    for (std::int64_t i = 0; i < plan.batches; ++i) {
      Batch batch(*this);
      batch.index = i;
      const double lr = batch_lr(epoch, i, plan.batches);
      if (options_.schedule.cosine_per_batch) set_learning_rate(optimizer_, lr);
      batch.step = {number, i + 1, lr, state_.last_checkpoint};
      const auto counts = hooks.train_batch(batch);
      loss_sum += counts.loss_sum;
      loss_weight += counts.loss_weight;
      if (bar) {
        bar->advance(counts.progress);
        std::ostringstream postfix;
        postfix << "loss " << std::fixed << std::setprecision(3)
                << (loss_weight > 0 ? loss_sum / loss_weight : 0.0);
        bar->set_postfix(postfix.str());
      }
    }
    if (bar) bar->finish();

    stop = end_epoch(epoch, hooks.evaluate(epoch), hooks);
    stopped_early = stop && number < options_.epochs;
    if (hooks.save) {
      const auto written = hooks.save(state_);
      if (!written.empty()) state_.last_checkpoint = written;
    }
    if (hooks.after_epoch) hooks.after_epoch(epoch);
  }
  hooks_ = nullptr;
  return stopped_early;
}

}  // namespace nnlab::train
