#include "nnlab/attack/batched_attack.h"

#include <torch/torch.h>

#include <algorithm>
#include <sstream>
#include <utility>
#include <vector>

#include "nnlab/core/error.h"
#include "nnlab/models/eval_mode_guard.h"

namespace nnlab::attack {

void require_at_least(const std::string& option, double value, double minimum) {
  if (!(value >= minimum)) {  // also rejects NaN
    std::ostringstream message;
    message << "must be at least " << minimum << ", got " << value;
    throw core::OptionError(option, message.str());
  }
}

void require_positive(const std::string& option, double value) {
  if (!(value > 0)) {
    std::ostringstream message;
    message << "must be positive, got " << value;
    throw core::OptionError(option, message.str());
  }
}

BatchedAttack::BatchedAttack(AttackOptions options) : options_(std::move(options)) {
  require_at_least("AttackOptions.epsilon", options_.epsilon, 0);
  require_at_least("AttackOptions.step_size", options_.step_size, 0);
  require_at_least("AttackOptions.batch_size", static_cast<double>(options_.batch_size), 1);
  loss_ = make_loss(options_.loss, options_.targeted);
}

AttackResult BatchedAttack::attack(models::Classifier& model, const torch::Tensor& images,
                                   const torch::Tensor& labels, bool verdict) {
  TORCH_CHECK(images.dim() == 4 && images.is_floating_point(), name(),
              ": expected floating (N, C, H, W) images, got ", images.sizes(), " ",
              images.scalar_type());
  TORCH_CHECK(
      labels.dim() == 1 && labels.size(0) == images.size(0) && labels.scalar_type() == torch::kLong,
      name(), ": expected ", images.size(0), " int64 labels, got ", labels.sizes(), " ",
      labels.scalar_type());
  TORCH_CHECK(images.device() == model.device() && labels.device() == model.device(), name(),
              ": images and labels must be on the model's device ", model.device());
  if (images.size(0) == 0) {
    return {images.clone(), torch::zeros({0}, labels.options().dtype(torch::kBool)), {}, {}};
  }
  TORCH_CHECK(images.min().item<double>() >= 0 && images.max().item<double>() <= 1, name(),
              ": pixels must be in [0,1]");
  const auto num_classes = model.info().num_classes;
  TORCH_CHECK(
      labels.min().item<std::int64_t>() >= 0 && labels.max().item<std::int64_t>() < num_classes,
      name(), ": labels must be in [0, ", num_classes, ")");

  models::EvalModeGuard eval_mode(model);
  torch::AutoGradMode enable_grad(true);
  verdict_ = verdict;
  TORCH_CHECK(!image_keys_.defined() || image_keys_.numel() == images.size(0), name(), ": ",
              image_keys_.numel(), " image keys for ", images.size(0), " images");
  const auto keys = image_keys_.defined() ? image_keys_.to(torch::kCPU) : torch::Tensor();
  std::vector<torch::Tensor> adversarial, success, clean_logits, stage, queries;
  for (std::int64_t start = 0; start < images.size(0); start += options_.batch_size) {
    const auto end = std::min(images.size(0), start + options_.batch_size);
    batch_keys_ = keys.defined() ? keys.slice(0, start, end) : torch::Tensor();
    auto result =
        attack_batch(model, images.slice(0, start, end).detach(), labels.slice(0, start, end));
    adversarial.push_back(result.images.detach());
    if (result.success.defined()) success.push_back(result.success);
    if (result.clean_logits.defined()) clean_logits.push_back(result.clean_logits.detach());
    if (result.stage.defined()) stage.push_back(result.stage);
    if (result.queries.defined()) queries.push_back(result.queries);
  }
  AttackResult out;
  out.images = torch::cat(adversarial);
  if (verdict) {
    TORCH_CHECK(success.size() == adversarial.size(), name(), ": no verdict for some batches");
    out.success = torch::cat(success);
  }
  if (!clean_logits.empty() && clean_logits.size() == adversarial.size()) {
    out.clean_logits = torch::cat(clean_logits);
  }
  if (!stage.empty()) {
    TORCH_CHECK(stage.size() == adversarial.size(), name(), ": no stages for some batches");
    out.stage = torch::cat(stage);
  }
  if (!queries.empty() && queries.size() == adversarial.size()) out.queries = torch::cat(queries);
  return out;
}

}  // namespace nnlab::attack
