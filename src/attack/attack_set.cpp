#include "nnlab/attack/attack_set.h"

#include <torch/torch.h>

#include "nnlab/core/progress.h"
#include "nnlab/train/evaluate.h"

namespace nnlab::attack {

AttackSetResult attack_set(Attack& attack, models::Classifier& model, const torch::Tensor& images,
                           const torch::Tensor& labels, const torch::Tensor& targets,
                           const AttackSetOptions& options) {
  TORCH_CHECK(images.size(0) == labels.size(0), "attack_set: ", images.size(0), " images but ",
              labels.size(0), " labels");
  const auto labels_cpu = labels.to(torch::kCPU);
  const auto goals = (targets.defined() ? targets : labels).to(torch::kCPU);
  AttackSetResult result;
  result.adversarial = images.clone();
  // One pass over everything when the attack reports the clean logits; otherwise a forward pass
  // first, to attack only what the model gets right.
  const bool known = options.clean_logits.defined();
  const bool one_pass = !known && (attack.reports_clean_logits() || !options.skip_misclassified);
  torch::Tensor todo = torch::arange(images.size(0), torch::kLong);
  if (!one_pass) {
    result.clean_logits =
        known ? options.clean_logits.to(torch::kCPU)
              : train::predict_logits(model, images, options.batch_size).to(torch::kCPU);
    TORCH_CHECK(result.clean_logits.size(0) == images.size(0), "attack_set: clean logits for ",
                result.clean_logits.size(0), " images, expected ", images.size(0));
    if (options.skip_misclassified) {
      todo = result.clean_logits.argmax(1).eq(labels_cpu).nonzero().view({-1});
    }
  }
  const auto device = model.device();
  const std::int64_t n = todo.size(0);
  std::vector<torch::Tensor> logits;
  std::unique_ptr<core::Progress> bar;
  if (options.progress) bar = std::make_unique<core::Progress>(options.label, n, "img");
  for (std::int64_t start = 0; start < n; start += options.batch_size) {
    const auto index = todo.slice(0, start, std::min(n, start + options.batch_size));
    const auto batch = images.index_select(0, index).to(device);
    attack.set_image_keys(index + options.first_key);
    auto out = attack.attack(model, batch, goals.index_select(0, index).to(device),
                             /*verdict=*/false);
    auto adversarial = out.images.to(torch::kCPU);
    if (one_pass && out.clean_logits.defined()) {
      const auto batch_logits = out.clean_logits.to(torch::kCPU);
      logits.push_back(batch_logits);
      if (options.skip_misclassified) {
        const auto wrong = batch_logits.argmax(1).ne(labels_cpu.index_select(0, index));
        adversarial = torch::where(wrong.view({-1, 1, 1, 1}), batch.to(torch::kCPU), adversarial);
      }
    }
    result.adversarial.index_copy_(0, index, adversarial);
    if (out.queries.defined()) {
      if (!result.queries.defined()) result.queries = torch::zeros({images.size(0)}, torch::kLong);
      result.queries.index_copy_(0, index, out.queries.to(torch::kCPU, torch::kLong));
    }
    if (bar) bar->advance(index.size(0));
  }
  attack.set_image_keys({});
  if (bar) bar->finish();
  if (one_pass) {
    // An attack that does not report them (with skip_misclassified off) leaves one forward pass.
    const auto joined = logits.empty() ? torch::Tensor() : torch::cat(logits);
    result.clean_logits =
        joined.defined() && joined.size(0) == images.size(0)
            ? joined
            : train::predict_logits(model, images, options.batch_size).to(torch::kCPU);
  }
  return result;
}

AttackSetResult attack_set(Attack& attack, models::Classifier& model, const torch::Tensor& images,
                           const torch::Tensor& labels, const torch::Tensor& targets,
                           const AttackSetOptions& options, train::ProcessGroup& group) {
  const auto n = images.size(0);
  const auto [from, to] = group.share(n);
  AttackSetOptions shard_options = options;
  shard_options.first_key = options.first_key + from;
  if (options.clean_logits.defined())
    shard_options.clean_logits = options.clean_logits.slice(0, from, to);
  auto shard = attack_set(attack, model, images.slice(0, from, to), labels.slice(0, from, to),
                          targets.defined() ? targets.slice(0, from, to) : targets, shard_options);
  AttackSetResult result;
  result.adversarial = torch::zeros_like(images, torch::TensorOptions().device(torch::kCPU));
  result.adversarial.slice(0, from, to).copy_(shard.adversarial);
  result.clean_logits = torch::zeros({n, shard.clean_logits.size(1)}, shard.clean_logits.options());
  result.clean_logits.slice(0, from, to).copy_(shard.clean_logits);
  std::vector<torch::Tensor> both = {result.adversarial, result.clean_logits};
  group.all_reduce_sum(both);
  // Query counts, with a last entry that says whether any rank's attack counted them (a rank
  // that attacked no image has none), so that every rank takes part in the same reductions.
  std::vector<torch::Tensor> counts = {torch::zeros({n + 1}, torch::kDouble)};
  if (shard.queries.defined()) {
    counts[0].slice(0, from, to).copy_(shard.queries);
    counts[0][n] = 1;
  }
  group.all_reduce_sum(counts);
  if (counts[0][n].item<double>() > 0) result.queries = counts[0].slice(0, 0, n).to(torch::kLong);
  return result;
}

}  // namespace nnlab::attack
