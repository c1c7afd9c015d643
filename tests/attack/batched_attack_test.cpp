#include "nnlab/attack/batched_attack.h"

#include <gtest/gtest.h>

#include "attack_testing.h"
#include "nnlab/attack/fgsm.h"
#include "nnlab/core/error.h"

namespace nnlab::attack {

using namespace testing;

TEST(BatchedAttack, BatchSizeDoesNotChangeTheResult) {
  const auto batch = make_batch(23, 80);
  AttackOptions options;
  options.epsilon = 0.05;
  options.batch_size = 64;
  const auto whole = Fgsm(options).run_with_report(trained_model(), batch.images, batch.labels);
  options.batch_size = 5;
  const auto pieces = Fgsm(options).run_with_report(trained_model(), batch.images, batch.labels);
  EXPECT_TRUE(torch::equal(whole.images, pieces.images));
  EXPECT_TRUE(torch::equal(whole.success, pieces.success));
  EXPECT_EQ(pieces.clean_logits.size(0), 23);
}

TEST(BatchedAttack, EmptyInputGivesEmptyOutput) {
  const auto batch = make_batch(3, 81);
  const auto none = torch::arange(0, torch::kLong);
  const auto result = Fgsm(AttackOptions{})
                          .run_with_report(trained_model(), batch.images.index_select(0, none),
                                           batch.labels.index_select(0, none));
  EXPECT_EQ(result.images.size(0), 0);
  EXPECT_EQ(result.success.size(0), 0);
}

TEST(BatchedAttack, ModelModeAndParametersAreLeftAlone) {
  const auto batch = make_batch(6, 82);
  auto& model = trained_model();
  model.train();
  Fgsm(AttackOptions{}).run(model, batch.images, batch.labels);
  EXPECT_TRUE(model.is_training());
  model.eval();
  for (const auto& p : model.parameters()) EXPECT_FALSE(p.grad().defined());
}

TEST(BatchedAttack, ErrorsNameTheOptionField) {
  const auto message = [](const AttackOptions& options) {
    try {
      Fgsm{options};
    } catch (const core::OptionError& e) {
      return std::string(e.what());
    }
    return std::string("no exception");
  };
  AttackOptions options;
  options.batch_size = 0;
  EXPECT_EQ(message(options), "AttackOptions.batch_size: must be at least 1, got 0");
  options = AttackOptions{};
  options.epsilon = -1;
  EXPECT_EQ(message(options), "AttackOptions.epsilon: must be at least 0, got -1");
  options = AttackOptions{};
  options.loss = "l1";
  EXPECT_NE(message(options).find("AttackOptions.loss"), std::string::npos);
}

}  // namespace nnlab::attack
