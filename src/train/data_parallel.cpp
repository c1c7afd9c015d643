#include "nnlab/train/data_parallel.h"

#include <torch/torch.h>

#include "nnlab/models/batch_norm.h"
#include "nnlab/train/evaluate.h"

namespace nnlab::train {

void broadcast_state(torch::nn::Module& module, ProcessGroup& group) {
  torch::NoGradGuard no_grad;
  std::vector<torch::Tensor> tensors;
  for (auto& p : module.parameters()) tensors.push_back(p);
  for (auto& b : module.buffers()) tensors.push_back(b);
  group.broadcast(tensors, 0);
}

void prepare_data_parallel(torch::nn::Module& module, std::shared_ptr<ProcessGroup> group,
                           const DataParallelOptions& options) {
  broadcast_state(module, *group);
  std::shared_ptr<const models::StatisticsReducer> reducer;
  if (options.sync_batch_norm) {
    reducer = std::make_shared<const models::StatisticsReducer>(
        [group](std::vector<torch::Tensor>& tensors) { group->all_reduce_sum(tensors); });
  }
  models::synchronize_batch_norm(module, reducer);
}

void average_buffers(torch::nn::Module& module, ProcessGroup& group) {
  torch::NoGradGuard no_grad;
  std::vector<torch::Tensor> buffers;
  for (auto& b : module.buffers()) {
    if (b.is_floating_point()) buffers.push_back(b);
  }
  group.all_reduce_sum(buffers);
  for (auto& b : buffers) b.div_(static_cast<double>(group.world_size()));
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

TrainHooks data_parallel_hooks(std::shared_ptr<ProcessGroup> group,
                               const DataParallelOptions& options) {
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
  const bool average = !options.sync_batch_norm;
  hooks.evaluate = [group, average](models::Classifier& model, const data::Dataset& data,
                                    const EvalOptions& eval_options) {
    if (average) average_buffers(*model.module(), *group);
    return evaluate(model, data, eval_options, *group);
  };
  if (average) {
    // Also where no test set is evaluated (fine-tuning inside compression): before the save.
    hooks.after_epoch = [group](models::Classifier& model, EpochMetrics&) {
      average_buffers(*model.module(), *group);
      return true;
    };
  }
  return hooks;
}

}  // namespace nnlab::train
