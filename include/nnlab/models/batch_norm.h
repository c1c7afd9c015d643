// BatchNorm2d that can synchronize its batch statistics across processes (synchronized BatchNorm,
// as torch.nn.SyncBatchNorm): in training, each channel's sum and count are summed over every
// process of a data-parallel group, then the sum of squared deviations from that global mean
// (two passes, as BatchNorm's own statistics), and the gradients of both sums are summed in the
// backward pass — so N processes with 1/N of a batch each normalize and update the running
// statistics as one process with the whole batch does. Without a reducer, and in eval mode, it
// is torch::nn::BatchNorm2d: same parameters, buffers, names and arithmetic.
#pragma once

#include <torch/nn/modules/batchnorm.h>

#include <functional>
#include <memory>
#include <vector>

// LibTorch builds with hidden visibility and exports BatchNorm2dImpl but not the members of its
// base template, so the construction vtables of a subclass find no BatchNormImplBase<2, ...>::
// pretty_print to link against: nnlab defines it (src/models/batch_norm.cpp), printing what
// LibTorch's prints.
template <>
void torch::nn::BatchNormImplBase<2, torch::nn::BatchNorm2dImpl>::pretty_print(
    std::ostream& stream) const;

namespace nnlab::models {

// Sums every tensor in place over the processes of a group (the identity for one process).
using StatisticsReducer = std::function<void(std::vector<torch::Tensor>&)>;

class BatchNorm2dImpl : public torch::nn::BatchNorm2dImpl {
 public:
  using torch::nn::BatchNorm2dImpl::BatchNorm2dImpl;

  torch::Tensor forward(const torch::Tensor& input);

  // nullptr: statistics of this process's batch only (plain BatchNorm).
  void set_reducer(std::shared_ptr<const StatisticsReducer> reducer) {
    reducer_ = std::move(reducer);
  }
  bool synchronized() const { return reducer_ != nullptr; }

 private:
  torch::Tensor synchronized_forward(const torch::Tensor& input);
  std::shared_ptr<const StatisticsReducer> reducer_;
};
TORCH_MODULE(BatchNorm2d);

// Sets the reducer of every models::BatchNorm2d under root (nullptr: clears it); returns how
// many layers it reached.
int synchronize_batch_norm(torch::nn::Module& root,
                           const std::shared_ptr<const StatisticsReducer>& reducer);

}  // namespace nnlab::models
