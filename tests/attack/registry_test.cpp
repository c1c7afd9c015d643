// A new loss and a new iterative attack, defined here and added through the registries alone:
// no library file knows them, yet make_attack and make_loss find them by name.
#include "nnlab/attack/registry.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <algorithm>
#include <utility>

#include "attack_testing.h"
#include "nnlab/attack/iterative_attack.h"
#include "nnlab/attack/loss.h"
#include "nnlab/core/error.h"

namespace nnlab::attack {

using namespace testing;

namespace {

// The toy loss: the true class's logit pushed down (untargeted: -z_y), the target's pulled up
// (targeted: z_t).
torch::Tensor toy_logit_loss(const torch::Tensor& logits, const torch::Tensor& classes) {
  return logits.gather(1, classes.view({-1, 1})).squeeze(1);
}

// The toy attack: Linf steps on the sign of the gradient, but only where |g| is at least its
// per-image median (a sparser I-FGSM), with a default step of 2 eps / steps.
class SparseSignAttack : public IterativeAttack {
 public:
  explicit SparseSignAttack(AttackOptions options)
      : IterativeAttack(std::move(options), Norm::kLinf) {}
  std::string name() const override { return "toy-sparse-sign"; }

 protected:
  double default_step_size() const override { return 2 * options_.epsilon / options_.steps; }
  torch::Tensor direction(const torch::Tensor& gradient, const torch::Tensor&) override {
    const auto magnitude = gradient.abs().flatten(1);
    const auto median = std::get<0>(magnitude.median(/*dim=*/1, /*keepdim=*/true));
    return gradient.sign() * magnitude.ge(median).view_as(gradient).to(gradient.scalar_type());
  }
};

class RegistryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    register_loss("toy-logit",
                  {"the true logit down; targeted: the target's up",
                   [](const torch::Tensor& logits, const torch::Tensor& labels,
                      const torch::Tensor&) { return -toy_logit_loss(logits, labels); },
                   [](const torch::Tensor& logits, const torch::Tensor&,
                      const torch::Tensor& targets) { return toy_logit_loss(logits, targets); }});
    register_attack("toy-sparse-sign", {"sign steps on the larger half of the gradient",
                                        {"epsilon", "step_size", "steps", "loss", "targeted"},
                                        [](const AttackSettings& settings) {
                                          return std::make_unique<SparseSignAttack>(settings);
                                        }});
  }
  // The attack leaves the list again, so that tests looping over attack_names() see the
  // built-ins only. (The loss stays: nothing loops over the losses.)
  void TearDown() override { unregister_attack("toy-sparse-sign"); }
};

}  // namespace

TEST_F(RegistryTest, NewLossIsFoundByNameAndPointsTheGradient) {
  const auto names = loss_names();
  EXPECT_NE(std::find(names.begin(), names.end(), "toy-logit"), names.end());
  const auto logits =
      torch::tensor({2.0, -1.0, 0.5}, torch::kDouble).view({1, 3}).clone().requires_grad_();
  const auto labels = torch::tensor({2}, torch::kLong);
  const auto loss = make_loss("toy-logit", /*targeted=*/false);
  EXPECT_DOUBLE_EQ(loss(logits, labels).item<double>(), -0.5);
  loss(logits, labels).sum().backward();
  // Ascending it lowers the true logit and nothing else.
  EXPECT_TRUE(
      torch::equal(logits.grad(), torch::tensor({0.0, 0.0, -1.0}, torch::kDouble).view({1, 3})));
  EXPECT_DOUBLE_EQ(make_loss("toy-logit", /*targeted=*/true)(logits, labels).item<double>(), 0.5);
}

TEST_F(RegistryTest, NewAttackIsListedAndMadeByName) {
  const auto names = attack_names();
  ASSERT_FALSE(names.empty());
  EXPECT_EQ(names.back(), "toy-sparse-sign");
  EXPECT_EQ(names.front(), "fgsm");  // the built-ins keep their order, first
  const auto entry = attack_entry("toy-sparse-sign");
  EXPECT_EQ(entry.help, "sign steps on the larger half of the gradient");
  EXPECT_EQ(entry.reads.size(), 5u);
  AttackSettings settings;
  settings.epsilon = 0.1;
  settings.steps = 4;
  const auto attack = make_attack("toy-sparse-sign", settings);
  EXPECT_EQ(attack->name(), "toy-sparse-sign");
  EXPECT_DOUBLE_EQ(dynamic_cast<IterativeAttack&>(*attack).step_size(), 0.05);
  // Its options are checked by the skeleton, naming the field.
  settings.steps = 0;
  try {
    make_attack("toy-sparse-sign", settings);
    FAIL() << "no exception";
  } catch (const core::OptionError& e) {
    EXPECT_NE(std::string(e.what()).find("AttackOptions.steps"), std::string::npos) << e.what();
  }
}

TEST_F(RegistryTest, NewAttackWithNewLossStaysInTheBallOnTheGridAndLowersTheTrueLogit) {
  const auto batch = correct_batch(64, 90);
  AttackSettings settings;
  settings.epsilon = 0.1;
  settings.steps = 10;
  settings.loss = "toy-logit";
  const auto result = make_attack("toy-sparse-sign", settings)
                          ->run_with_report(trained_model(), batch.images, batch.labels);
  const auto d = (result.images - batch.images).abs().flatten(1).amax(1);
  EXPECT_LE(d.max().item<double>(), 0.1 + 1e-6);
  EXPECT_TRUE(is_on_8bit_grid(result.images));
  EXPECT_GE(result.images.min().item<float>(), 0);
  EXPECT_LE(result.images.max().item<float>(), 1);
  EXPECT_TRUE(torch::equal(result.success, predicted(result.images).ne(batch.labels)));
  const auto true_logit = [&batch](const torch::Tensor& images) {
    return logits_of(trained_model(), images).gather(1, batch.labels.view({-1, 1})).squeeze(1);
  };
  // Images still unbroken ran every step, each lowering the true logit.
  const auto open = result.success.logical_not();
  if (open.any().item<bool>()) {
    EXPECT_TRUE(true_logit(result.images)
                    .masked_select(open)
                    .lt(true_logit(batch.images).masked_select(open))
                    .all()
                    .item<bool>());
  }
  EXPECT_GT(result.success.to(torch::kFloat64).mean().item<double>(), 0.5);
}

TEST_F(RegistryTest, NewLossDrivesTheBuiltInAttacksToo) {
  const auto batch = correct_batch(32, 91);
  AttackSettings settings;
  settings.epsilon = 0.1;
  settings.loss = "toy-logit";
  for (const auto* name : {"fgsm", "ifgsm", "pgd", "mifgsm"}) {
    const auto result =
        make_attack(name, settings)->run_with_report(trained_model(), batch.images, batch.labels);
    EXPECT_GT(result.success.to(torch::kFloat64).mean().item<double>(), 0.3) << name;
  }
  settings.loss = "no-such-loss";
  EXPECT_THROW(make_attack("pgd", settings), core::OptionError);
}

TEST_F(RegistryTest, UnregisteredAttackIsUnknownAgain) {
  EXPECT_TRUE(unregister_attack("toy-sparse-sign"));
  EXPECT_FALSE(unregister_attack("toy-sparse-sign"));
  EXPECT_THROW(make_attack("toy-sparse-sign", AttackSettings{}), core::OptionError);
}

}  // namespace nnlab::attack
