#include "nnlab/attack/attack_set.h"

#include <torch/torch.h>

#include <chrono>
#include <filesystem>

#include "nnlab/attack/attack_progress.h"
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
  if (!attack.stage_names().empty()) result.stage = torch::full({images.size(0)}, -1, torch::kLong);
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
  // A killed run's progress, when this same run saved one.
  const bool saving = !options.progress_file.empty();
  std::string key;
  std::int64_t resumed = 0;
  if (saving) {
    key = attack_progress_key(options.progress_key + "|" + attack.name() + "|first " +
                                  std::to_string(options.first_key) + "|one pass " +
                                  std::to_string(one_pass),
                              images, goals, model.parameters());
    if (auto saved = load_attack_progress(options.progress_file, key); saved && saved->done <= n) {
      resumed = saved->done;
      const auto rows = todo.slice(0, 0, resumed);
      result.adversarial.index_copy_(0, rows, saved->adversarial);
      if (one_pass && saved->clean_logits.defined()) logits.push_back(saved->clean_logits);
      if (result.stage.defined() && saved->stage.defined())
        result.stage.index_copy_(0, rows, saved->stage);
      if (saved->queries.defined()) {
        result.queries = torch::zeros({images.size(0)}, torch::kLong);
        result.queries.index_copy_(0, rows, saved->queries);
      }
      if (bar) bar->advance(resumed);
    }
  }
  auto last_save = std::chrono::steady_clock::now();
  const auto save = [&](std::int64_t done) {
    AttackProgress progress;
    progress.key = key;
    progress.done = done;
    const auto rows = todo.slice(0, 0, done);
    progress.adversarial = result.adversarial.index_select(0, rows);
    if (one_pass && !logits.empty()) progress.clean_logits = torch::cat(logits);
    if (result.stage.defined()) progress.stage = result.stage.index_select(0, rows);
    if (result.queries.defined()) progress.queries = result.queries.index_select(0, rows);
    save_attack_progress(options.progress_file, progress);
    last_save = std::chrono::steady_clock::now();
  };
  for (std::int64_t start = resumed; start < n; start += options.batch_size) {
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
    if (result.stage.defined() && out.stage.defined()) {
      result.stage.index_copy_(0, index, out.stage.to(torch::kCPU));
    }
    if (out.queries.defined()) {
      if (!result.queries.defined()) result.queries = torch::zeros({images.size(0)}, torch::kLong);
      result.queries.index_copy_(0, index, out.queries.to(torch::kCPU, torch::kLong));
    }
    if (bar) bar->advance(index.size(0));
    const auto done = start + index.size(0);
    if (saving && done < n &&
        std::chrono::duration<double>(std::chrono::steady_clock::now() - last_save).count() >=
            options.save_every) {
      save(done);
    }
  }
  attack.set_image_keys({});
  if (saving) {
    std::error_code error;
    std::filesystem::remove(options.progress_file, error);
  }
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
  if (!options.progress_file.empty()) {
    shard_options.progress_file = options.progress_file + ".rank" + std::to_string(group.rank()) +
                                  "-of-" + std::to_string(group.world_size());
  }
  if (options.clean_logits.defined())
    shard_options.clean_logits = options.clean_logits.slice(0, from, to);
  auto shard = attack_set(attack, model, images.slice(0, from, to), labels.slice(0, from, to),
                          targets.defined() ? targets.slice(0, from, to) : targets, shard_options);
  AttackSetResult result;
  result.adversarial = torch::zeros_like(images, torch::TensorOptions().device(torch::kCPU));
  result.adversarial.slice(0, from, to).copy_(shard.adversarial);
  result.clean_logits = torch::zeros({n, shard.clean_logits.size(1)}, shard.clean_logits.options());
  result.clean_logits.slice(0, from, to).copy_(shard.clean_logits);
  std::vector<torch::Tensor> all = {result.adversarial, result.clean_logits};
  if (shard.stage.defined()) {
    // Stages + 1 summed into zeros (every rank runs the same attack, so all have stages or none).
    all.push_back(torch::zeros({n}, torch::kFloat32));
    all.back().slice(0, from, to).copy_(shard.stage + 1);
  }
  group.all_reduce_sum(all);
  if (shard.stage.defined()) result.stage = all.back().round().to(torch::kLong) - 1;
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
