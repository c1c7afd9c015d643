#include "nnlab/train/process_group.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cstdlib>
#include <map>

#include "nnlab/core/error.h"
#include "train/two_ranks.h"

namespace nnlab::train {

namespace {

// Sets environment variables for one test and restores them after it.
class Environment {
 public:
  void set(const std::string& name, const std::string& value) {
    remember(name);
    ::setenv(name.c_str(), value.c_str(), 1);
  }
  void unset(const std::string& name) {
    remember(name);
    ::unsetenv(name.c_str());
  }
  ~Environment() {
    for (const auto& [name, value] : saved_) {
      if (value.second) {
        ::setenv(name.c_str(), value.first.c_str(), 1);
      } else {
        ::unsetenv(name.c_str());
      }
    }
  }

 private:
  void remember(const std::string& name) {
    if (saved_.count(name) != 0) return;
    const char* v = std::getenv(name.c_str());
    saved_[name] = {v != nullptr ? v : "", v != nullptr};
  }
  std::map<std::string, std::pair<std::string, bool>> saved_;
};

const char* const kVariables[] = {"RANK",        "WORLD_SIZE",  "LOCAL_RANK",
                                  "MASTER_ADDR", "MASTER_PORT", "NNLAB_DIST_TIMEOUT"};

}  // namespace

TEST(ProcessGroup, SharesAreContiguousInRankOrderAndDifferByAtMostOne) {
  for (const int count : {1, 2, 3, 7}) {
    for (const std::int64_t n : {0, 1, 5, 10, 101}) {
      std::int64_t next = 0;
      for (int rank = 0; rank < count; ++rank) {
        const auto [first, end] = share_of(n, rank, count);
        EXPECT_EQ(first, next) << n << " items, rank " << rank << " of " << count;
        const auto size = end - first;
        EXPECT_TRUE(size == n / count || size == n / count + 1) << n << " " << rank << " " << count;
        next = end;
      }
      EXPECT_EQ(next, n);
    }
  }
  EXPECT_EQ(share_of(10, 1, 3), (std::pair<std::int64_t, std::int64_t>{3, 6}));
}

TEST(ProcessGroup, OptionsComeFromTorchrunsVariables) {
  Environment env;
  for (const auto* name : kVariables) env.unset(name);
  const auto alone = DistributedOptions::from_environment();
  EXPECT_FALSE(alone.enabled());
  EXPECT_EQ(alone.rank, 0);
  EXPECT_EQ(alone.timeout_seconds, DistributedOptions::kDefaultTimeoutSeconds);
  EXPECT_EQ(ProcessGroup::join_from_environment(), nullptr);  // one process: no group

  env.set("WORLD_SIZE", "4");
  env.set("RANK", "3");
  env.set("MASTER_ADDR", "10.0.0.2");
  env.set("MASTER_PORT", "1234");
  env.set("NNLAB_DIST_TIMEOUT", "20");
  const auto o = DistributedOptions::from_environment();
  EXPECT_TRUE(o.enabled());
  EXPECT_EQ(o.world_size, 4);
  EXPECT_EQ(o.rank, 3);
  EXPECT_EQ(o.local_rank, 3);  // LOCAL_RANK defaults to RANK
  EXPECT_EQ(o.master_addr, "10.0.0.2");
  EXPECT_EQ(o.master_port, 1234);
  EXPECT_EQ(o.timeout_seconds, 20);
  EXPECT_EQ(DistributedOptions::from_environment(7.5).timeout_seconds, 7.5);  // the flag wins
}

TEST(ProcessGroup, BadVariablesAreOptionErrorsNamingThem) {
  Environment env;
  for (const auto* name : kVariables) env.unset(name);
  env.set("WORLD_SIZE", "2");
  env.set("RANK", "2");
  try {
    DistributedOptions::from_environment();
    FAIL() << "rank 2 of 2 accepted";
  } catch (const core::OptionError& e) {
    EXPECT_EQ(e.option(), "RANK");
  }
  env.set("RANK", "x");
  try {
    DistributedOptions::from_environment();
    FAIL() << "RANK=x accepted";
  } catch (const core::OptionError& e) {
    EXPECT_EQ(e.option(), "RANK");
    EXPECT_NE(e.problem().find("'x'"), std::string::npos) << e.what();
  }
  env.set("RANK", "0");
  env.set("MASTER_PORT", "70000");
  EXPECT_THROW(DistributedOptions::from_environment(), core::OptionError);
  env.set("MASTER_PORT", "1234");
  try {
    DistributedOptions::from_environment(-1);
    FAIL() << "a negative timeout accepted";
  } catch (const core::OptionError& e) {
    EXPECT_EQ(e.option(), "DistributedOptions.timeout_seconds");
  }
}

TEST(ProcessGroup, TwoRanksSumAndBroadcast) {
  testing::run_two_ranks([](ProcessGroup& group) {
    const double r = group.rank();
    std::vector<torch::Tensor> sum = {torch::full({3}, r + 1), torch::tensor({10 * r})};
    group.all_reduce_sum(sum);
    EXPECT_TRUE(torch::equal(sum[0], torch::full({3}, 3.0)));  // 1 + 2
    EXPECT_EQ(sum[1].item<float>(), 10.0f);                    // 0 + 10
    std::vector<torch::Tensor> from_one = {torch::full({2}, r)};
    group.broadcast(from_one, /*root=*/1);
    EXPECT_TRUE(torch::equal(from_one[0], torch::full({2}, 1.0)));
    EXPECT_EQ(group.share(5), share_of(5, group.rank(), 2));
    group.barrier();
  });
}

}  // namespace nnlab::train
