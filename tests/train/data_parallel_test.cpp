#include "nnlab/train/data_parallel.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include "nnlab/train/trainer.h"
#include "train/two_ranks.h"

namespace nnlab::train {

TEST(DataParallel, BroadcastMakesEveryRankRankZerosModel) {
  testing::run_two_ranks([](ProcessGroup& group) {
    // Each rank's weights and running statistics differ (no random generator: the two ranks are
    // threads sharing it).
    torch::nn::Sequential net(torch::nn::Linear(4, 3), torch::nn::BatchNorm1d(3));
    const double own = group.rank() + 0.5;
    {
      torch::NoGradGuard no_grad;
      for (auto& p : net->parameters()) p.fill_(own);
      net->named_buffers()["1.running_mean"].fill_(own);
    }
    broadcast_state(*net, group);
    for (const auto& p : net->named_parameters()) {
      EXPECT_TRUE(torch::equal(p.value(), torch::full_like(p.value(), 0.5)))
          << "rank " << group.rank() << " " << p.key();
    }
    EXPECT_TRUE(torch::equal(net->named_buffers()["1.running_mean"], torch::full({3}, 0.5)));
  });
}

TEST(DataParallel, AverageBuffersIsTheMeanOverRanks) {
  testing::run_two_ranks([](ProcessGroup& group) {
    torch::nn::BatchNorm1d bn(2);
    {
      torch::NoGradGuard no_grad;
      bn->running_mean.fill_(group.rank() == 0 ? 1.0 : 3.0);
      bn->running_var.fill_(group.rank() == 0 ? 2.0 : 4.0);
    }
    average_buffers(*bn, group);
    EXPECT_TRUE(torch::equal(bn->running_mean, torch::full({2}, 2.0)));
    EXPECT_TRUE(torch::equal(bn->running_var, torch::full({2}, 3.0)));
    EXPECT_EQ(bn->num_batches_tracked.item<std::int64_t>(), 0);  // an integer counter: untouched
  });
}

TEST(DataParallel, ShardTrainingGivesEachRankItsShareAndRankZeroTheFiles) {
  testing::run_two_ranks([](ProcessGroup& group) {
    TrainOptions options;
    options.checkpoint_path = "run.ckpt";
    options.metrics_path = "metrics.jsonl";
    options.progress = true;
    shard_training(options, group);
    EXPECT_EQ(options.shard_rank, group.rank());
    EXPECT_EQ(options.shard_count, 2);
    if (group.rank() == 0) {
      EXPECT_EQ(options.checkpoint_path, "run.ckpt");
      EXPECT_EQ(options.metrics_path, "metrics.jsonl");
      EXPECT_TRUE(options.progress);
    } else {
      EXPECT_TRUE(options.checkpoint_path.empty());
      EXPECT_TRUE(options.metrics_path.empty());
      EXPECT_FALSE(options.progress);
    }
  });
}

}  // namespace nnlab::train
