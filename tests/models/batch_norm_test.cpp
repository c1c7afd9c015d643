// Synchronized BatchNorm: two "processes" (threads whose reducer sums across them) with half a
// batch each compute what one BatchNorm computes on the whole batch — outputs, running
// statistics, and the gradients a data-parallel step uses.
#include "nnlab/models/batch_norm.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <condition_variable>
#include <mutex>
#include <thread>

#include "nnlab/models/layers.h"
#include "nnlab/models/registry.h"

namespace nnlab::models {
namespace {

// Sums tensors across `parties` threads: each thread's call returns once every thread has
// contributed, with the sum in place (an all-reduce, in memory).
class ThreadAllReduce {
 public:
  explicit ThreadAllReduce(int parties) : parties_(parties) {}

  void operator()(std::vector<torch::Tensor>& tensors) {
    std::unique_lock<std::mutex> lock(mutex_);
    const auto generation = generation_;
    if (arrived_ == 0) {
      sum_.clear();
      for (const auto& t : tensors) sum_.push_back(t.detach().clone());
    } else {
      for (std::size_t i = 0; i < tensors.size(); ++i) sum_[i] += tensors[i].detach();
    }
    ++calls_;
    if (++arrived_ == parties_) {
      result_ = sum_;
      arrived_ = 0;
      ++generation_;
      done_.notify_all();
    } else {
      done_.wait(lock, [&] { return generation_ != generation; });
    }
    for (std::size_t i = 0; i < tensors.size(); ++i) tensors[i].copy_(result_[i]);
  }
  int calls() const { return calls_; }

 private:
  int parties_;
  int arrived_ = 0;
  int calls_ = 0;
  std::uint64_t generation_ = 0;
  std::vector<torch::Tensor> sum_, result_;
  std::mutex mutex_;
  std::condition_variable done_;
};

double max_relative(const torch::Tensor& a, const torch::Tensor& b) {
  return ((a - b).abs() / (b.abs() + 1e-6)).max().item<double>();
}

torch::nn::BatchNorm2dOptions bn_options() {
  return torch::nn::BatchNorm2dOptions(3);
}

TEST(BatchNorm2d, WithoutAReducerItIsTorchsBatchNorm) {
  torch::manual_seed(1);
  BatchNorm2d ours(bn_options());
  torch::nn::BatchNorm2d theirs(bn_options());
  const auto x = torch::randn({4, 3, 5, 5}) * 3 + 2;
  EXPECT_TRUE(torch::equal(ours(x), theirs(x)));
  EXPECT_TRUE(torch::equal(ours->running_var, theirs->running_var));
  // The same names: checkpoints of the zoo do not change.
  EXPECT_EQ(ours->named_buffers().keys(), theirs->named_buffers().keys());
  EXPECT_EQ(ours->named_parameters().keys(), theirs->named_parameters().keys());
}

TEST(BatchNorm2d, TwoProcessesWithHalfTheBatchEachEqualOneWithAll) {
  torch::manual_seed(2);
  const auto x = torch::randn({8, 3, 4, 4}) * 2 + 1.5;  // mean far from 0: tests the shift
  const auto upstream = torch::randn({8, 3, 4, 4});     // dL/dy of the whole batch
  const int steps = 3;                                  // the running statistics move

  torch::nn::BatchNorm2d whole(bn_options());
  torch::Tensor whole_out, whole_grad;
  for (int step = 0; step < steps; ++step) {
    whole->zero_grad();
    const auto input = x.clone().requires_grad_(true);
    whole_out = whole(input);
    // Loss = mean over the batch of <y, upstream>, as the trainer's batch-mean loss.
    (whole_out * upstream).sum().div(8).backward();
    whole_grad = input.grad();
  }

  auto reducer = std::make_shared<ThreadAllReduce>(2);
  const auto reduce = std::make_shared<const StatisticsReducer>(
      [reducer](std::vector<torch::Tensor>& t) { (*reducer)(t); });
  BatchNorm2d ranks[2] = {BatchNorm2d(bn_options()), BatchNorm2d(bn_options())};
  torch::Tensor outs[2], input_grads[2];
  for (int r = 0; r < 2; ++r) ranks[r]->set_reducer(reduce);
  auto run_rank = [&](int r) {
    for (int step = 0; step < steps; ++step) {
      ranks[r]->zero_grad();
      const auto input = x.slice(0, 4 * r, 4 * r + 4).clone().requires_grad_(true);
      outs[r] = ranks[r](input);
      // Each rank's loss is the mean over its own half.
      (outs[r] * upstream.slice(0, 4 * r, 4 * r + 4)).sum().div(4).backward();
      input_grads[r] = input.grad();
    }
  };
  std::thread other(run_rank, 1);
  run_rank(0);
  other.join();
  EXPECT_EQ(reducer->calls(), 2 * 4 * steps);  // two sums, forward and backward, each rank

  EXPECT_LT(max_relative(torch::cat({outs[0], outs[1]}), whole_out), 1e-4);
  for (int r = 0; r < 2; ++r) {
    EXPECT_LT(max_relative(ranks[r]->running_mean, whole->running_mean), 1e-5);
    EXPECT_LT(max_relative(ranks[r]->running_var, whole->running_var), 1e-5);
    EXPECT_EQ(ranks[r]->num_batches_tracked.item<std::int64_t>(), steps);
  }
  // The mean of the two ranks' losses is the whole batch's loss: each rank's input gradient is
  // twice the whole batch's, and the ranks' parameter gradients average to the whole batch's.
  EXPECT_LT(max_relative(torch::cat({input_grads[0], input_grads[1]}) / 2, whole_grad), 1e-4);
  EXPECT_LT(
      max_relative((ranks[0]->weight.grad() + ranks[1]->weight.grad()) / 2, whole->weight.grad()),
      1e-4);
  EXPECT_LT(max_relative((ranks[0]->bias.grad() + ranks[1]->bias.grad()) / 2, whole->bias.grad()),
            1e-4);
}

TEST(BatchNorm2d, EvalModeNeverCallsTheReducer) {
  auto calls = std::make_shared<int>(0);
  BatchNorm2d bn(bn_options());
  bn->set_reducer(std::make_shared<const StatisticsReducer>(
      [calls](std::vector<torch::Tensor>&) { ++*calls; }));
  bn->eval();
  bn(torch::randn({2, 3, 4, 4}));
  EXPECT_EQ(*calls, 0);
  bn->train();
  bn(torch::randn({2, 3, 4, 4}));
  EXPECT_EQ(*calls, 2);  // the mean, then the variance
}

TEST(BatchNorm2d, EveryZooBatchNormCanBeSynchronized) {
  auto reducer = std::make_shared<const StatisticsReducer>([](std::vector<torch::Tensor>&) {});
  // cnn: four conv blocks; resnet18: 1 + 16 + 3 downsample; densenet121: 121 - 1 Linear; vgg.
  EXPECT_EQ(synchronize_batch_norm(*create_model("cnn").module(), reducer), 4);
  EXPECT_EQ(synchronize_batch_norm(*create_model("resnet18").module(), reducer), 20);
  EXPECT_EQ(synchronize_batch_norm(*create_model("vgg11_bn").module(), reducer), 8);
  EXPECT_GT(synchronize_batch_norm(*create_model("densenet121").module(), reducer), 100);
  EXPECT_EQ(synchronize_batch_norm(*create_model("lenet5").module(), reducer), 0);
}

TEST(SetDropout, ReachesEveryDropoutAndChecksTheProbability) {
  auto model = create_model("cnn");
  EXPECT_EQ(set_dropout(*model.module(), 0.0), 2);
  model.train();
  const auto x = torch::rand({4, 1, 28, 28});
  // No dropout: training-mode forward passes agree (BatchNorm uses the batch either way).
  EXPECT_TRUE(torch::allclose(model(x), model(x)));
  EXPECT_THROW(set_dropout(*model.module(), 1.0), std::invalid_argument);
  EXPECT_THROW(set_dropout(*model.module(), -0.1), std::invalid_argument);
}

}  // namespace
}  // namespace nnlab::models
