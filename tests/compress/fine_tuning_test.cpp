// The fine-tuning every compression pass shares: its test accuracy is evaluate's, a round of 0
// epochs changes nothing, a round is seeded by its number (the same round twice: the same
// weights), and the tuning's own hooks run after the pass's.
#include "nnlab/compress/fine_tuning.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <string>
#include <vector>

#include "compress/compress_test_util.h"
#include "nnlab/models/state_dict.h"
#include "nnlab/train/evaluate.h"

namespace nnlab::compress {

namespace {

using testing_util::tiny_model;
using testing_util::tiny_tuning;

torch::Tensor flat_weights(const models::Classifier& model) {
  std::vector<torch::Tensor> parts;
  for (const auto& p : model.parameters()) parts.push_back(p.detach().flatten().clone());
  return torch::cat(parts);
}

}  // namespace

TEST(FineTuning, TestAccuracyIsEvaluatesOnTheTestSet) {
  auto model = tiny_model("lenet300");
  const auto tuning = tiny_tuning(1);
  train::EvalOptions options;
  options.progress = false;
  EXPECT_DOUBLE_EQ(test_accuracy(model, tuning),
                   train::evaluate(model, tuning.data.test, options).accuracy);
}

TEST(FineTuning, NoEpochsChangeNothingAndARoundRepeatsExactly) {
  const auto before = flat_weights(tiny_model("lenet300"));
  auto untouched = tiny_model("lenet300");
  fine_tune(untouched, tiny_tuning(0), /*round=*/1);
  EXPECT_TRUE(torch::equal(flat_weights(untouched), before));

  auto a = tiny_model("lenet300");
  auto b = tiny_model("lenet300");
  auto c = tiny_model("lenet300");
  fine_tune(a, tiny_tuning(1), /*round=*/1);
  fine_tune(b, tiny_tuning(1), /*round=*/1);
  fine_tune(c, tiny_tuning(1), /*round=*/2);  // another round: other batches
  EXPECT_FALSE(torch::equal(flat_weights(a), before));
  EXPECT_TRUE(torch::equal(flat_weights(a), flat_weights(b)));
  EXPECT_FALSE(torch::equal(flat_weights(a), flat_weights(c)));
  EXPECT_GT(test_accuracy(a, tiny_tuning(1)), 0.5);  // the blocks are easy to learn
}

TEST(FineTuning, TheTuningsHooksRunAfterThePasss) {
  auto model = tiny_model("lenet300");
  auto tuning = tiny_tuning(1, /*train=*/64);
  std::vector<std::string> calls;
  tuning.hooks.after_step = [&](models::Classifier&) { calls.push_back("tuning"); };
  train::TrainHooks pass;
  pass.after_step = [&](models::Classifier&) { calls.push_back("pass"); };
  fine_tune(model, tuning, /*round=*/1, pass);
  ASSERT_EQ(calls.size(), 4u);  // two batches of 32
  EXPECT_EQ(calls[0], "pass");
  EXPECT_EQ(calls[1], "tuning");
}

}  // namespace nnlab::compress
