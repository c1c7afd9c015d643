#include "nnlab/models/batch_norm.h"

#include <torch/autograd.h>
#include <torch/torch.h>

#include <cstdint>
#include <ostream>

template <>
void torch::nn::BatchNormImplBase<2, torch::nn::BatchNorm2dImpl>::pretty_print(
    std::ostream& stream) const {
  stream << std::boolalpha << "torch::nn::BatchNorm2d(" << options.num_features()
         << ", eps=" << options.eps() << ", momentum=";
  if (options.momentum()) {
    stream << *options.momentum();
  } else {
    stream << "None";
  }
  stream << ", affine=" << options.affine()
         << ", track_running_stats=" << options.track_running_stats() << ")";
}

namespace nnlab::models {

namespace {

// y = sum over processes of x; dL/dx = sum over processes of dL/dy. Each process's loss depends
// on the summed statistics, and the gradient every process needs is the total loss's (the
// data-parallel step averages the parameters' gradients afterwards).
struct AllReduceSum : torch::autograd::Function<AllReduceSum> {
  static torch::Tensor forward(torch::autograd::AutogradContext* ctx, const torch::Tensor& x,
                               const StatisticsReducer* reduce) {
    // The reducer outlives the step: its layer holds it. saved_data holds IValues only.
    ctx->saved_data["reduce"] = reinterpret_cast<std::int64_t>(reduce);
    std::vector<torch::Tensor> sum = {x.clone()};
    (*reduce)(sum);
    return sum[0];
  }
  static torch::autograd::variable_list backward(torch::autograd::AutogradContext* ctx,
                                                 torch::autograd::variable_list grads) {
    const auto* reduce =
        reinterpret_cast<const StatisticsReducer*>(ctx->saved_data["reduce"].toInt());
    std::vector<torch::Tensor> sum = {grads[0].contiguous().clone()};
    (*reduce)(sum);
    return {sum[0], torch::Tensor()};
  }
};

}  // namespace

torch::Tensor BatchNorm2dImpl::forward(const torch::Tensor& input) {
  if (!reducer_ || !is_training()) return torch::nn::BatchNorm2dImpl::forward(input);
  return synchronized_forward(input);
}

torch::Tensor BatchNorm2dImpl::synchronized_forward(const torch::Tensor& given) {
  _check_input_dim(given);
  // Statistics in float32 whatever the arithmetic of the convolutions (a bf16 sum over a batch
  // keeps 8 bits), as LibTorch's own batch_norm does under autocast.
  const auto input = given.to(torch::kFloat);
  const auto channels = input.size(1);
  const std::vector<std::int64_t> per_channel = {1, channels, 1, 1};
  const std::vector<std::int64_t> reduced = {0, 2, 3};
  // Two passes, as BatchNorm's own statistics: the global mean first, then the sum of squared
  // deviations from it (a single pass of sums and sums of squares cancels where the mean is
  // large against the spread).
  const auto local_count = static_cast<double>(input.numel() / channels);
  const auto sums = AllReduceSum::apply(
      torch::cat({input.sum(reduced), torch::full({1}, local_count, input.options())}),
      reducer_.get());
  const double count = sums[channels].item<double>();
  TORCH_CHECK(count > 1, "BatchNorm2d: a synchronized batch of ", count,
              " value(s) per channel has no variance");
  const auto mean = sums.slice(0, 0, channels) / count;
  const auto centered = input - mean.view(per_channel);
  const auto variance =  // biased, as BatchNorm normalizes
      AllReduceSum::apply(centered.square().sum(reduced), reducer_.get()) / count;
  auto out = centered * torch::rsqrt(variance + options.eps()).view(per_channel);
  if (options.affine()) out = out * weight.view(per_channel) + bias.view(per_channel);

  if (options.track_running_stats()) {
    torch::NoGradGuard no_grad;
    num_batches_tracked.add_(1);
    const double factor = options.momentum()
                              ? *options.momentum()
                              : 1.0 / static_cast<double>(num_batches_tracked.item<std::int64_t>());
    running_mean.mul_(1 - factor).add_(mean.detach(), factor);
    // The running variance is unbiased, over the count of every process.
    running_var.mul_(1 - factor).add_(variance.detach() * (count / (count - 1)), factor);
  }
  return out;
}

int synchronize_batch_norm(torch::nn::Module& root,
                           const std::shared_ptr<const StatisticsReducer>& reducer) {
  int reached = 0;
  for (const auto& module : root.modules(/*include_self=*/true)) {
    if (auto* bn = module->as<BatchNorm2dImpl>()) {
      bn->set_reducer(reducer);
      ++reached;
    }
  }
  return reached;
}

}  // namespace nnlab::models
