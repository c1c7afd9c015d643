// Classifier::ensemble as the attacks see it: logits are the log of the mean softmax, and the
// attack gradient is that of the members' mean loss.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include "attack_testing.h"
#include "nnlab/attack/objective.h"
#include "nnlab/models/registry.h"

namespace nnlab::attack {

namespace {

std::vector<models::Classifier> members() {
  std::vector<models::Classifier> out;
  for (int seed : {1, 2, 3}) {
    torch::manual_seed(seed);
    out.push_back(models::create_model(seed == 2 ? "lenet5" : "lenet300", {testing::kClasses, 0}));
    out.back().eval();
  }
  return out;
}

}  // namespace

TEST(Ensemble, LogitsAreTheLogOfTheMeanProbability) {
  auto parts = members();
  auto ensemble = models::Classifier::ensemble(parts);
  EXPECT_EQ(ensemble.info().arch, "lenet300+lenet5+lenet300");
  EXPECT_EQ(ensemble.members().size(), 3u);
  const auto x = testing::make_batch(8, 5).images;
  torch::NoGradGuard no_grad;
  auto mean = torch::zeros({8, testing::kClasses});
  for (auto& member : parts) mean += member.forward(x).softmax(1) / 3.0;
  EXPECT_TRUE(torch::allclose(ensemble.forward(x).exp(), mean, 1e-5, 1e-6));
  // Mode and parameters reach the members.
  ensemble.train();
  for (const auto& member : parts) EXPECT_TRUE(member.is_training());
  ensemble.eval();
  std::size_t count = 0;
  for (const auto& member : parts) count += member.parameters().size();
  EXPECT_EQ(ensemble.parameters().size(), count);
  EXPECT_EQ(ensemble.named_parameters().front().first.substr(0, 2), "0.");
}

TEST(Ensemble, AttackGradientIsTheMeanOfTheMembersGradients) {
  auto parts = members();
  auto ensemble = models::Classifier::ensemble(parts);
  const auto batch = testing::make_batch(6, 6);
  for (const bool targeted : {false, true}) {
    auto expected = torch::zeros_like(batch.images);
    for (auto& member : parts) {
      expected += loss_gradient(member, batch.images, batch.labels, targeted) / 3.0;
    }
    EXPECT_TRUE(torch::allclose(loss_gradient(ensemble, batch.images, batch.labels, targeted),
                                expected, 1e-5, 1e-7));
  }
}

TEST(Ensemble, MembersMustAgreeOnClassesAndInput) {
  auto parts = members();
  parts.push_back(models::create_model("lenet300", {/*num_classes=*/10, 0}));
  EXPECT_THROW(models::Classifier::ensemble(parts), c10::Error);
  EXPECT_THROW(models::Classifier::ensemble({}), c10::Error);
}

}  // namespace nnlab::attack
