// The adaptive attacker's model: BPDA's straight-through gradient, model(defense(x)) for a zoo
// model and an ensemble, EOT over the draws of a random defense, and an adaptive PGD that gets
// through a defense that stops the gray-box one (a hand-made model where that is certain).
#include "nnlab/attack/defended_model.h"

#include <gtest/gtest.h>
#include <torch/script.h>

#include "attack/attack_testing.h"
#include "nnlab/attack/apgd.h"
#include "nnlab/attack/attack_sweep.h"
#include "nnlab/core/error.h"
#include "nnlab/report/table.h"

namespace nnlab::attack::testing {
namespace {

// APGD's EOT gradient, opened for the test.
class ApgdGradient : public Apgd {
 public:
  using Apgd::Apgd;
  using Apgd::gradient;
};

TEST(DefendedModel, BpdaIsTheDefenseForwardAndTheIdentityBackward) {
  const auto batch = make_batch(6, 3);
  const auto defense = parse_defense("median:3");
  const auto x = batch.images.clone().requires_grad_(true);
  const auto y = bpda(defense, x);
  // x + (defense(x) - x) is defense(x) up to float rounding.
  EXPECT_TRUE(torch::allclose(y.detach(), median_filter(batch.images, 3), /*rtol=*/0,
                              /*atol=*/1e-6));
  // d/dx sum(w * bpda(x)) = w: the straight-through estimator.
  const auto w = torch::randn(x.sizes());
  const auto g = torch::autograd::grad({(w * y).sum()}, {x})[0];
  EXPECT_TRUE(torch::allclose(g, w));
}

TEST(DefendedModel, GradientIsTheModelsGradientAtTheDefendedImage) {
  const auto batch = make_batch(6, 4);
  const auto defense = parse_defense("bits:3");
  auto defended = defended_model(trained_model(), defense);
  const auto through = loss_gradient(defended, batch.images, batch.labels, /*targeted=*/false);
  const auto at_defended = loss_gradient(trained_model(), reduce_bit_depth(batch.images, 3),
                                         batch.labels, /*targeted=*/false);
  EXPECT_TRUE(torch::allclose(through, at_defended, 1e-5, 1e-7));
  EXPECT_GT(through.abs().sum().item<double>(), 0);  // bits alone would give zero or none
}

TEST(DefendedModel, LogitsAreTheModelsOnTheDefendedImageForModelsAndEnsembles) {
  const auto batch = make_batch(8, 5);
  for (const auto* spec : {"median:3", "bits:4", "jpeg:60"}) {
    SCOPED_TRACE(spec);
    const auto defense = parse_defense(spec);
    auto defended = defended_model(trained_model(), defense);
    EXPECT_TRUE(torch::allclose(logits_of(defended, batch.images),
                                logits_of(trained_model(), defense.apply(batch.images))));
  }
  // An ensemble: every member sees the same defended image, and attacks still ascend the
  // members' mean loss (member_logits).
  torch::manual_seed(11);
  auto other = models::create_model("lenet300", {/*num_classes=*/kClasses, 0});
  other.eval();
  auto ensemble = models::Classifier::ensemble({trained_model(), other});
  const auto defense = parse_defense("median:3");
  auto defended = defended_model(ensemble, defense);
  const auto filtered = median_filter(batch.images, 3);
  EXPECT_TRUE(torch::allclose(logits_of(defended, batch.images), logits_of(ensemble, filtered)));
  torch::NoGradGuard no_grad;
  const auto members = defended.member_logits(batch.images);
  ASSERT_EQ(members.size(), 2u);
  EXPECT_TRUE(torch::allclose(members[1], other(filtered)));
  EXPECT_EQ(defended.info().arch, ensemble.info().arch);
}

TEST(DefendedModel, WorksForTorchScriptModels) {
  torch::jit::Module script("Doubler");
  script.register_attribute("training", c10::BoolType::get(), true);
  script.register_parameter("weight", torch::full({1}, 2.0), /*is_buffer=*/false);
  script.define("def forward(self, x):\n  return (x * self.weight).flatten(1)\n");
  models::ModelInfo info;
  info.arch = "torchscript";
  info.num_classes = 4;
  info.height = 2;
  info.width = 2;
  info.mean = {0.5};
  info.std = {0.25};
  models::Classifier model(script, info);
  model.eval();
  auto defended = defended_model(model, parse_defense("bits:1"));
  const auto x = torch::tensor({0.2f, 0.4f, 0.6f, 0.9f}).view({1, 1, 2, 2});
  // bits:1 -> {0, 0, 1, 1}; normalized by the model: {-2, -2, 2, 2}; doubled.
  EXPECT_TRUE(torch::allclose(logits_of(defended, x), torch::tensor({{-4.f, -4.f, 4.f, 4.f}})));
  EXPECT_EQ(defended.device(), model.device());
  defended.train();
  EXPECT_TRUE(model.is_training());
  defended.eval();
  EXPECT_FALSE(model.is_training());
}

TEST(DefendedModel, SharesTheModelsParametersModeAndDevice) {
  auto& model = trained_model();
  auto defended = defended_model(model, parse_defense("bits:4"));
  EXPECT_EQ(defended.device(), model.device());
  EXPECT_FALSE(defended.is_training());  // as the model was
  const auto parameters = defended.parameters();
  ASSERT_EQ(parameters.size(), model.parameters().size());
  for (size_t i = 0; i < parameters.size(); ++i) {
    EXPECT_TRUE(parameters[i].is_same(model.parameters()[i]));
  }
  EXPECT_TRUE(defended.info().mean.empty());  // the model normalizes, after the defense
  EXPECT_EQ(defended.info().num_classes, model.info().num_classes);
  defended.train();
  EXPECT_TRUE(model.is_training());
  defended.eval();
  EXPECT_FALSE(model.is_training());
  defended.to(torch::kCPU);
  EXPECT_EQ(model.device(), torch::Device(torch::kCPU));
}

TEST(DefendedModel, NoiseDrawsAnewEachCallAndRepeatsWithItsSeed) {
  const auto batch = make_batch(4, 6);
  const auto a = parse_defense("noise:16", 5);
  const auto b = parse_defense("noise:16", 5);
  EXPECT_TRUE(a.random);
  EXPECT_FALSE(parse_defense("jpeg:75").random);
  const auto first = a.apply(batch.images);
  EXPECT_FALSE(torch::equal(first, a.apply(batch.images)));  // a new draw
  EXPECT_TRUE(torch::equal(first, b.apply(batch.images)));   // the same seed, the same draw
  EXPECT_FALSE(torch::equal(first, parse_defense("noise:16", 6).apply(batch.images)));
  EXPECT_GE(first.min().item<double>(), 0.0);
  EXPECT_LE(first.max().item<double>(), 1.0);
  const auto spread = (first - batch.images).std().item<double>();
  EXPECT_GT(spread, 0.5 * 16 / 255.0);  // about sigma, less where the clamp cuts
  EXPECT_LT(spread, 1.1 * 16 / 255.0);
  // Two noise defenses of one list draw differently.
  const auto list = parse_defenses("noise:16,noise:16", 5);
  EXPECT_FALSE(torch::equal(list[0].apply(batch.images), list[1].apply(batch.images)));
}

TEST(DefendedModel, EotAveragesTheGradientsOfItsDraws) {
  const auto batch = make_batch(5, 7);
  const auto active = torch::arange(5);
  AttackOptions options;
  options.epsilon = 8 / 255.0;
  constexpr int kDraws = 4;
  auto eot_model = defended_model(trained_model(), parse_defense("noise:32", 9));
  ApgdOptions eot;
  eot.eot_iter = kDraws;
  const auto averaged =
      ApgdGradient(options, eot).gradient(eot_model, batch.images, batch.labels, active, nullptr);
  // The same generator, one draw at a time.
  auto single_model = defended_model(trained_model(), parse_defense("noise:32", 9));
  ApgdGradient single(options);
  std::vector<torch::Tensor> draws;
  for (int k = 0; k < kDraws; ++k) {
    draws.push_back(single.gradient(single_model, batch.images, batch.labels, active, nullptr));
  }
  EXPECT_TRUE(torch::allclose(averaged, torch::stack(draws).mean(0), 1e-4, 1e-7));
  EXPECT_FALSE(torch::allclose(draws[0], draws[1]));  // the draws differ
  EXPECT_FALSE(torch::allclose(averaged, draws[0]));
}

// Four 2x2 images of grey 89/255 = 0.35, class 0; the model says class 1 when the pixels sum
// past 1.6 (a mean above 0.4). The defense bits:1 rounds each pixel to 0 or 1.
struct Threshold {
  models::Classifier model;
  data::Dataset set;
};

// logits = W flatten(x) + b.
struct LinearNetImpl : torch::nn::Module {
  LinearNetImpl() : linear(register_module("linear", torch::nn::Linear(4, 2))) {}
  torch::Tensor forward(const torch::Tensor& x) { return linear(x.flatten(1)); }
  torch::nn::Linear linear;
};
TORCH_MODULE(LinearNet);

Threshold threshold_problem() {
  LinearNet net;
  {
    torch::NoGradGuard no_grad;
    net->linear->weight.copy_(
        torch::tensor({-1.f, -1.f, -1.f, -1.f, 1.f, 1.f, 1.f, 1.f}).view({2, 4}));
    net->linear->bias.copy_(torch::tensor({1.6f, -1.6f}));
  }
  models::ModelInfo info;
  info.arch = "threshold";
  info.num_classes = 2;
  info.in_channels = 1;
  info.height = 2;
  info.width = 2;
  Threshold t{models::Classifier(torch::nn::AnyModule(net), info), {}};
  t.model.eval();
  t.set.images = torch::full({4, 1, 2, 2}, 89 / 255.0);
  t.set.labels = torch::zeros({4}, torch::kLong);
  t.set.source = "threshold";
  return t;
}

TEST(DefendedModel, AdaptivePgdGetsThroughWhereTheGrayBoxOneIsWashedOut) {
  // PGD of 0.02 steps stops at 0.41 on the undefended model (success): bits:1 rounds that back
  // to 0, so the gray-box defense restores every image. Through bits:1, the straight-through
  // gradient keeps pushing the pixels up until they round to 1 (0.51 < 0.35 + eps 0.2).
  auto t = threshold_problem();
  AttackSweepOptions options;
  options.method = "pgd";
  options.attack.steps = 20;
  options.attack.pgd.random_start = false;
  options.epsilons = {51};
  options.step_size = 5.1;
  options.defenses = {parse_defense("bits:1")};
  options.adaptive = true;
  options.progress = false;
  const auto result = run_attack_sweep(t.model, t.set, options);
  ASSERT_EQ(result.runs.size(), 1u);
  const auto& run = result.runs[0];
  EXPECT_DOUBLE_EQ(run.scores.clean_accuracy, 1.0);
  EXPECT_DOUBLE_EQ(run.scores.adversarial_accuracy, 0.0);
  ASSERT_EQ(run.defenses.size(), 1u);
  const auto& d = run.defenses[0];
  EXPECT_DOUBLE_EQ(d.clean_accuracy, 1.0);
  EXPECT_DOUBLE_EQ(d.adversarial_accuracy, 1.0);  // gray-box: washed out
  EXPECT_TRUE(d.adaptive);
  EXPECT_DOUBLE_EQ(d.adaptive_accuracy, 0.0);  // adaptive: through
  const auto& json = result.runs_json[0]["defenses"][0];
  EXPECT_DOUBLE_EQ(json["adaptive_accuracy"].get<double>(), 0.0);
  EXPECT_GE(json["adaptive_seconds"].get<double>(), 0.0);
  const auto table = sweep_defense_table(result.runs).to_csv();
  EXPECT_NE(table.find("adaptive acc"), std::string::npos) << table;

  // Without adaptive, no adaptive score and no column.
  options.adaptive = false;
  const auto gray = run_attack_sweep(t.model, t.set, options);
  EXPECT_FALSE(gray.runs[0].defenses[0].adaptive);
  EXPECT_FALSE(gray.runs_json[0]["defenses"][0].contains("adaptive_accuracy"));
  EXPECT_EQ(sweep_defense_table(gray.runs).to_csv().find("adaptive"), std::string::npos);
}

TEST(DefendedModel, AdaptiveNeedsADefenseAndDefensesMustBeKnown) {
  auto t = threshold_problem();
  AttackSweepOptions options;
  options.adaptive = true;
  options.progress = false;
  try {
    run_attack_sweep(t.model, t.set, options);
    FAIL() << "adaptive without a defense ran";
  } catch (const core::OptionError& e) {
    EXPECT_EQ(e.option(), "AttackSweepOptions.adaptive");
  }
  for (const auto* bad : {"resize:3", "noise:0", "noise:256", "noise:x", "noise"}) {
    SCOPED_TRACE(bad);
    EXPECT_THROW(parse_defense(bad), core::OptionError);
  }
}

}  // namespace
}  // namespace nnlab::attack::testing
