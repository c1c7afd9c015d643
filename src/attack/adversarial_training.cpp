#include "nnlab/attack/adversarial_training.h"

#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <utility>

#include "nnlab/attack/objective.h"
#include "nnlab/attack/registry.h"
#include "nnlab/core/error.h"
#include "nnlab/models/eval_mode_guard.h"

namespace nnlab::attack {

namespace {

AttackOptions pgd_options(double epsilon, double step_size, int steps, std::int64_t batch_size) {
  AttackOptions o;
  o.epsilon = epsilon;
  o.step_size = step_size;
  o.steps = steps;
  o.norm = "linf";
  o.round_to_8bit = false;  // training and its evaluation work on real-valued images
  o.batch_size = batch_size;
  return o;
}

std::vector<torch::Tensor> state_of(const models::Classifier& model) {
  std::vector<torch::Tensor> state;
  for (const auto& [name, tensor] : model.named_parameters()) state.push_back(tensor);
  for (const auto& [name, tensor] : model.named_buffers()) state.push_back(tensor);
  return state;
}

}  // namespace

nlohmann::json AdversarialTrainingOptions::to_json() const {
  return {{"method", method}, {"epsilon", epsilon},       {"step_size", step_size},
          {"steps", steps},   {"eval_steps", eval_steps}, {"collapse_drop", collapse_drop},
          {"beta", beta}};
}

AdversarialTrainingOptions AdversarialTrainingOptions::from_json(const nlohmann::json& j) {
  AdversarialTrainingOptions o;
  o.method = j.value("method", o.method);
  o.epsilon = j.value("epsilon", o.epsilon);
  o.step_size = j.value("step_size", o.step_size);
  o.steps = j.value("steps", o.steps);
  o.eval_steps = j.value("eval_steps", o.eval_steps);
  o.collapse_drop = j.value("collapse_drop", o.collapse_drop);
  o.beta = j.value("beta", o.beta);
  return o;
}

RobustAccuracy pgd_accuracy(models::Classifier& model, const torch::Tensor& images,
                            const torch::Tensor& labels, double epsilon, int steps,
                            std::int64_t batch_size) {
  RobustAccuracy result;
  const auto n = images.size(0);
  if (n == 0) return result;
  auto pgd = make_attack("pgd", pgd_options(epsilon, 0, steps, batch_size));
  std::int64_t clean_correct = 0, robust_correct = 0;
  for (std::int64_t start = 0; start < n; start += batch_size) {
    const auto end = std::min(n, start + batch_size);
    const auto x = images.slice(0, start, end).to(model.device());
    const auto y = labels.slice(0, start, end).to(model.device());
    const auto correct = logits_of(model, x).argmax(1).eq(y);
    const auto attacked = pgd->run_with_report(model, x, y);
    clean_correct += correct.sum().item<std::int64_t>();
    robust_correct +=
        correct.logical_and(attacked.success.logical_not()).sum().item<std::int64_t>();
  }
  result.clean = static_cast<double>(clean_correct) / static_cast<double>(n);
  result.robust = static_cast<double>(robust_correct) / static_cast<double>(n);
  return result;
}

AdversarialTraining::AdversarialTraining(AdversarialTrainingOptions options, data::Dataset holdout)
    : options_(std::move(options)), holdout_(std::move(holdout)) {
  if (options_.method != "fgsm-rs" && options_.method != "pgd" && options_.method != "trades") {
    throw core::OptionError("AdversarialTrainingOptions.method",
                            "expected fgsm-rs, pgd or trades, got '" + options_.method + "'");
  }
  if (!(options_.epsilon > 0 && options_.epsilon <= 1)) {
    throw core::OptionError("AdversarialTrainingOptions.epsilon",
                            "adversarial training needs a budget in (0, 1], got " +
                                core::number_text(options_.epsilon));
  }
  if (options_.step_size < 0)
    throw core::OptionError("AdversarialTrainingOptions.step_size",
                            "must be >= 0, got " + core::number_text(options_.step_size));
  if (options_.steps < 1)
    throw core::OptionError("AdversarialTrainingOptions.steps",
                            "must be >= 1, got " + std::to_string(options_.steps));
  if (options_.eval_steps < 1)
    throw core::OptionError("AdversarialTrainingOptions.eval_steps",
                            "must be >= 1, got " + std::to_string(options_.eval_steps));
  if (!(options_.beta >= 0 && std::isfinite(options_.beta)))
    throw core::OptionError(
        "AdversarialTrainingOptions.beta",
        "must be a finite number >= 0, got " + core::number_text(options_.beta));
  if (!(options_.collapse_drop > 0))
    throw core::OptionError("AdversarialTrainingOptions.collapse_drop",
                            "must be > 0, got " + core::number_text(options_.collapse_drop));
}

torch::Tensor trades_loss(const torch::Tensor& clean_logits,
                          const torch::Tensor& adversarial_logits, const torch::Tensor& labels,
                          double beta) {
  const auto natural = torch::nn::functional::cross_entropy(clean_logits, labels);
  if (beta == 0) return natural;
  // KL(p || q) = sum p (log p - log q); xlogy makes a probability that underflowed to 0 add 0.
  const auto p = torch::softmax(clean_logits, 1);
  const auto kl = (torch::xlogy(p, p) - p * torch::log_softmax(adversarial_logits, 1)).sum() /
                  static_cast<double>(clean_logits.size(0));
  return natural + beta * kl;
}

torch::Tensor trades_adversarial(models::Classifier& model, const torch::Tensor& images,
                                 double epsilon, double step_size, int steps) {
  models::EvalModeGuard eval(model);
  const auto clean = images.detach();
  torch::Tensor p;  // the clean prediction, a constant of the inner maximization
  {
    torch::NoGradGuard no_grad;
    p = torch::softmax(model.forward(clean), 1);
  }
  const auto lower = (clean - epsilon).clamp_min(0);
  const auto upper = (clean + epsilon).clamp_max(1);
  auto x = clean + 0.001 * torch::randn_like(clean);
  for (int step = 0; step < steps; ++step) {
    x = x.detach().requires_grad_(true);
    torch::Tensor gradient;
    {
      torch::AutoGradMode enable_grad(true);
      const auto kl = (torch::xlogy(p, p) - p * torch::log_softmax(model.forward(x), 1)).sum();
      gradient = torch::autograd::grad({kl}, {x})[0];
    }
    x = torch::min(torch::max(x.detach() + step_size * gradient.sign(), lower), upper);
  }
  // Zero steps: the start alone, still inside the ball and [0,1].
  return torch::min(torch::max(x.detach(), lower), upper);
}

torch::Tensor AdversarialTraining::adversarial_batch(models::Classifier& model,
                                                     const torch::Tensor& images,
                                                     const torch::Tensor& labels) {
  if (options_.method == "trades") {
    const double step = options_.step_size > 0 ? options_.step_size : options_.epsilon / 4;
    return trades_adversarial(model, images, options_.epsilon, step, options_.steps);
  }
  const bool fast = options_.method == "fgsm-rs";
  const double step = options_.step_size > 0 ? options_.step_size
                      : fast                 ? 1.25 * options_.epsilon
                                             : 2.5 * options_.epsilon / options_.steps;
  auto attack = make_attack(
      "pgd", pgd_options(options_.epsilon, step, fast ? 1 : options_.steps, images.size(0)));
  return attack->run(model, images, labels).detach();
}

bool AdversarialTraining::after_epoch(models::Classifier& model, train::EpochMetrics& metrics) {
  if (holdout_.size() == 0) return true;
  const auto accuracy = pgd_accuracy(model, holdout_.images, holdout_.labels, options_.epsilon,
                                     options_.eval_steps, options_.eval_batch_size);
  metrics.extra["holdout_clean_accuracy"] = accuracy.clean;
  metrics.extra["holdout_robust_accuracy"] = accuracy.robust;
  if (accuracy.robust > best_robust_) {
    best_robust_ = accuracy.robust;
    best_epoch_ = metrics.epoch;
    best_test_accuracy_ = metrics.test_accuracy;
    best_test_loss_ = metrics.test_loss;
    best_state_.clear();
    for (const auto& tensor : state_of(model)) best_state_.push_back(tensor.detach().clone());
    return true;
  }
  if (accuracy.robust >= best_robust_ - options_.collapse_drop) return true;
  // Catastrophic overfitting: back to the best epoch's weights, whose test figures were
  // measured then; the collapsed epoch's stay in the metrics for the record.
  torch::NoGradGuard no_grad;
  const auto state = state_of(model);
  for (size_t i = 0; i < state.size(); ++i) state[i].copy_(best_state_[i]);
  metrics.extra["collapsed_test_accuracy"] = metrics.test_accuracy;
  metrics.extra["rolled_back_to_epoch"] = best_epoch_;
  metrics.test_accuracy = best_test_accuracy_;
  metrics.test_loss = best_test_loss_;
  return false;
}

train::TrainHooks AdversarialTraining::hooks() {
  train::TrainHooks hooks;
  hooks.transform_batch = [this](models::Classifier& model, const torch::Tensor& images,
                                 const torch::Tensor& labels) {
    if (options_.method == "trades") {
      model_ = &model;
      clean_ = images;
    }
    return adversarial_batch(model, images, labels);
  };
  if (options_.method == "trades") {
    // The trainer has the adversarial logits; the clean forward (in training mode, as in the
    // reference) is part of the loss.
    hooks.loss = [this](const torch::Tensor& adversarial_logits, const torch::Tensor& labels,
                        const torch::Tensor&) {
      TORCH_CHECK(model_ != nullptr && clean_.defined(),
                  "TRADES loss: called before transform_batch");
      return trades_loss(model_->forward(clean_), adversarial_logits, labels, options_.beta);
    };
  }
  hooks.after_epoch = [this](models::Classifier& model, train::EpochMetrics& metrics) {
    return after_epoch(model, metrics);
  };
  return hooks;
}

}  // namespace nnlab::attack
