#include "nnlab/attack/attack_set.h"

#include <torch/torch.h>

#include "nnlab/core/progress.h"
#include "nnlab/train/evaluate.h"

namespace nnlab::attack {

torch::Tensor attack_set(Attack& attack, models::Classifier& model, const torch::Tensor& images,
                         const torch::Tensor& labels, const torch::Tensor& targets,
                         const AttackSetOptions& options) {
  TORCH_CHECK(images.size(0) == labels.size(0), "attack_set: ", images.size(0), " images but ",
              labels.size(0), " labels");
  auto adversarial = images.clone();
  torch::Tensor todo = torch::arange(images.size(0), torch::kLong);
  if (options.skip_misclassified) {
    const auto predicted = train::predict_logits(model, images, options.batch_size).argmax(1);
    todo = predicted.eq(labels.to(torch::kCPU)).nonzero().view({-1});
  }
  const auto device = model.device();
  const std::int64_t n = todo.size(0);
  std::unique_ptr<core::Progress> bar;
  if (options.progress) bar = std::make_unique<core::Progress>(options.label, n, "img");
  for (std::int64_t start = 0; start < n; start += options.batch_size) {
    const auto index = todo.slice(0, start, std::min(n, start + options.batch_size));
    const auto batch = images.index_select(0, index).to(device);
    const auto goal =
        (targets.defined() ? targets : labels).to(torch::kCPU).index_select(0, index).to(device);
    const auto out = attack.run(model, batch, goal).to(torch::kCPU);
    adversarial.index_copy_(0, index, out);
    if (bar) bar->advance(index.size(0));
  }
  if (bar) bar->finish();
  return adversarial;
}

}  // namespace nnlab::attack
