#include "nnlab/train/optimizer_state.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>

#include "nnlab/core/error.h"

namespace nnlab::train {

namespace {

// One Adam step on w = [1, 2] for the loss sum(w^2): the moments are no longer zero.
struct AdamRun {
  torch::Tensor w = torch::tensor({1.0f, 2.0f}).requires_grad_();
  torch::optim::Adam adam{{w}, torch::optim::AdamOptions(0.1)};
  void step() {
    adam.zero_grad();
    (w * w).sum().backward();
    adam.step();
  }
};

}  // namespace

TEST(OptimizerState, AdamMomentsRoundTripSoTheNextStepIsTheSame) {
  AdamRun reference;  // two steps in one run
  reference.step();
  reference.step();

  AdamRun first;  // one step, its state saved
  first.step();
  const auto bytes = save_optimizer_state(first.adam);
  ASSERT_FALSE(bytes.empty());

  // A new run from the weights after one step and the saved state takes the same second step.
  AdamRun resumed;
  AdamRun without_state;
  {
    torch::NoGradGuard no_grad;
    resumed.w.copy_(first.w);
    without_state.w.copy_(first.w);
  }
  load_optimizer_state(resumed.adam, bytes, "state.pt");
  resumed.step();
  without_state.step();
  EXPECT_TRUE(torch::equal(resumed.w, reference.w)) << resumed.w << reference.w;
  // Without the moments the step is another one: the state is what made it equal.
  EXPECT_FALSE(torch::allclose(without_state.w, reference.w)) << without_state.w;
}

TEST(OptimizerState, DamagedBytesAreAFileErrorNamingTheSource) {
  AdamRun run;
  try {
    load_optimizer_state(run.adam, "not an archive", "run/state.pt");
    FAIL() << "no error";
  } catch (const core::FileError& e) {
    EXPECT_EQ(e.path(), "run/state.pt");
    EXPECT_NE(std::string(e.what()).find("damaged optimizer state"), std::string::npos);
  }
  EXPECT_THROW(load_tensors("garbage", "run/state.pt"), core::FileError);
}

TEST(OptimizerState, SetLearningRateChangesEveryGroup) {
  AdamRun run;
  set_learning_rate(run.adam, 0.25);
  for (auto& group : run.adam.param_groups()) EXPECT_DOUBLE_EQ(group.options().get_lr(), 0.25);
}

TEST(OptimizerState, CosineFallsFromTheBaseToZero) {
  EXPECT_DOUBLE_EQ(cosine_learning_rate(0.1, 0), 0.1);
  EXPECT_NEAR(cosine_learning_rate(0.1, 0.5), 0.05, 1e-15);
  EXPECT_NEAR(cosine_learning_rate(0.1, 1), 0, 1e-15);
  EXPECT_NEAR(cosine_learning_rate(2, 0.25), 2 * 0.5 * (1 + std::cos(M_PI / 4)), 1e-15);
}

TEST(OptimizerState, NamedTensorsRoundTripInOrder) {
  models::TensorList tensors = {{"b", torch::tensor({1.0, 2.0})},
                                {"a", torch::arange(6, torch::kLong).reshape({2, 3})}};
  const auto back = load_tensors(save_tensors(tensors), "state.pt");
  ASSERT_EQ(back.size(), 2u);
  EXPECT_EQ(back[0].first, "b");
  EXPECT_EQ(back[1].first, "a");
  EXPECT_TRUE(torch::equal(back[0].second, tensors[0].second));
  EXPECT_TRUE(torch::equal(back[1].second, tensors[1].second));
  EXPECT_EQ(back[1].second.dtype(), torch::kLong);
}

}  // namespace nnlab::train
