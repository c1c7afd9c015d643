#include "nnlab/train/evaluate.h"

#include <torch/torch.h>

#include "nnlab/core/progress.h"
#include "nnlab/models/eval_mode_guard.h"

namespace nnlab::train {

torch::Tensor predict_logits(models::Classifier& model, const torch::Tensor& images,
                             std::int64_t batch_size, bool progress) {
  models::EvalModeGuard guard(model);
  torch::NoGradGuard no_grad;
  const auto device = model.device();
  const std::int64_t n = images.size(0);
  std::vector<torch::Tensor> outputs;
  std::unique_ptr<core::Progress> bar;
  if (progress) bar = std::make_unique<core::Progress>("predict", n, "img");
  for (std::int64_t start = 0; start < n; start += batch_size) {
    const auto end = std::min(n, start + batch_size);
    outputs.push_back(model.forward(images.slice(0, start, end).to(device)).to(torch::kCPU));
    if (bar) bar->advance(end - start);
  }
  return outputs.empty() ? torch::empty({0, model.info().num_classes}) : torch::cat(outputs);
}

namespace {

// Count, accuracy, mean loss (result.loss holds the sum on entry) and the per-class figures,
// all from the confusion matrix.
void finish_result(EvalResult& result, std::int64_t k) {
  result.count = result.confusion.sum().item<std::int64_t>();
  const auto n = static_cast<double>(result.count);
  const auto correct = result.confusion.diagonal().sum().item<std::int64_t>();
  result.accuracy = result.count > 0 ? static_cast<double>(correct) / n : 0.0;
  result.loss = result.count > 0 ? result.loss / n : 0.0;
  const auto rows = result.confusion.sum(1);
  for (std::int64_t c = 0; c < k; ++c) {
    const auto count = rows[c].item<std::int64_t>();
    result.per_class_count.push_back(count);
    result.per_class_accuracy.push_back(
        count > 0 ? static_cast<double>(result.confusion[c][c].item<std::int64_t>()) /
                        static_cast<double>(count)
                  : 0.0);
  }
}

}  // namespace

EvalResult evaluate(models::Classifier& model, const data::Dataset& data,
                    const EvalOptions& options) {
  models::EvalModeGuard guard(model);
  torch::NoGradGuard no_grad;
  const auto device = model.device();
  const std::int64_t n = data.size();
  const std::int64_t k = model.info().num_classes;
  EvalResult result;
  result.count = n;
  result.confusion = torch::zeros({k, k}, torch::kLong);
  double loss_sum = 0;
  std::unique_ptr<core::Progress> bar;
  if (options.progress) bar = std::make_unique<core::Progress>(options.label, n, "img");
  for (std::int64_t start = 0; start < n; start += options.batch_size) {
    const auto end = std::min(n, start + options.batch_size);
    const auto logits = model.forward(data.images.slice(0, start, end).to(device));
    const auto labels = data.labels.slice(0, start, end).to(device);
    loss_sum +=
        torch::nn::functional::cross_entropy(
            logits, labels, torch::nn::functional::CrossEntropyFuncOptions().reduction(torch::kSum))
            .item<double>();
    const auto predicted = logits.argmax(1).to(torch::kCPU);
    const auto index = data.labels.slice(0, start, end) * k + predicted;
    result.confusion.view({-1}).index_add_(0, index, torch::ones_like(index));
    if (bar) bar->advance(end - start);
  }
  if (bar) bar->finish();
  result.loss = loss_sum;  // a sum until finish_result
  finish_result(result, k);
  return result;
}

EvalResult evaluate(models::Classifier& model, const data::Dataset& data,
                    const EvalOptions& options, ProcessGroup& group) {
  const auto n = data.size();
  const auto [from, to] = group.share(n);
  auto result = evaluate(model, data.select(torch::arange(from, to, torch::kLong)), options);
  // Sums across ranks: the confusion matrix (exact) and the loss.
  std::vector<torch::Tensor> sums = {
      result.confusion,
      torch::tensor({result.loss * static_cast<double>(result.count)}, torch::kDouble)};
  group.all_reduce_sum(sums);
  result.loss = sums[1].item<double>();
  result.per_class_accuracy.clear();
  result.per_class_count.clear();
  finish_result(result, model.info().num_classes);
  return result;
}

}  // namespace nnlab::train
