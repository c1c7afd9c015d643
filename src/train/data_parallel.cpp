#include "nnlab/train/data_parallel.h"

#include <torch/torch.h>

#include "nnlab/train/evaluate.h"

namespace nnlab::train {

void broadcast_state(torch::nn::Module& module, ProcessGroup& group) {
  torch::NoGradGuard no_grad;
  std::vector<torch::Tensor> tensors;
  for (auto& p : module.parameters()) tensors.push_back(p);
  for (auto& b : module.buffers()) tensors.push_back(b);
  group.broadcast(tensors, 0);
}

void shard_training(TrainOptions& options, const ProcessGroup& group) {
  options.shard_rank = group.rank();
  options.shard_count = group.world_size();
  if (group.rank() != 0) {
    options.checkpoint_path.clear();
    options.metrics_path.clear();
    options.progress = false;
  }
}

TrainHooks data_parallel_hooks(std::shared_ptr<ProcessGroup> group) {
  TrainHooks hooks;
  hooks.after_backward = [group](models::Classifier& model) {
    std::vector<torch::Tensor> grads;
    for (auto& p : model.module()->parameters()) {
      if (p.grad().defined()) grads.push_back(p.mutable_grad());
    }
    group->all_reduce_sum(grads);
    const double scale = 1.0 / static_cast<double>(group->world_size());
    for (auto& g : grads) g.mul_(scale);
  };
  hooks.reduce_sums = [group](std::vector<double>& sums) {
    auto t = torch::tensor(sums, torch::kDouble);
    std::vector<torch::Tensor> one = {t};
    group->all_reduce_sum(one);
    for (std::size_t i = 0; i < sums.size(); ++i)
      sums[i] = t[static_cast<std::int64_t>(i)].item<double>();
  };
  hooks.evaluate = [group](models::Classifier& model, const data::Dataset& data,
                           const EvalOptions& options) {
    return evaluate(model, data, options, *group);
  };
  return hooks;
}

}  // namespace nnlab::train
