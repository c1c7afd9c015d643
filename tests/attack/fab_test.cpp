// FAB and FAB-T: the Linf/L2 projection onto a hyperplane in the box against its formula and
// hand-computed cases, the exact minimal perturbation of a linear model in one step, smaller
// perturbations than PGD on the images both break, FAB-T's targets, the verdict, batching.
#include "nnlab/attack/fab.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>
#include <string>

#include "attack/attack_testing.h"
#include "nnlab/core/error.h"

namespace nnlab::attack {
namespace {

using testing::correct_batch;
using testing::exact;
using testing::LinearNet;
using testing::make_batch;
using testing::small_classifier;
using testing::trained_model;

torch::Tensor distance(const torch::Tensor& a, const torch::Tensor& b, Norm norm) {
  return per_image_norm(a - b, norm);
}

TEST(FabProjection, MatchesTheFormulaWhereTheBoxDoesNotBind) {
  torch::manual_seed(1);
  const auto x = 0.4 + 0.2 * torch::rand({50, 30}, torch::kDouble);
  const auto w = torch::randn({50, 30}, torch::kDouble);
  // Planes at a signed distance of at most 0.05 (Linf) from x: the box [0,1] never binds.
  const auto shift = 0.05 * (2 * torch::rand({50}, torch::kDouble) - 1);
  const auto b = (w * x).sum(1) - shift * w.abs().sum(1);
  const auto c = ((w * x).sum(1) - b).unsqueeze(1);
  // Linf: every pixel moves by c / ||w||_1 against sign(w); L2: d = -c w / ||w||_2^2.
  const auto linf = project_onto_hyperplane(x, w, b, Norm::kLinf);
  EXPECT_TRUE(torch::allclose(linf, -w.sign() * c / w.abs().sum(1, true), 1e-9, 1e-12));
  const auto l2 = project_onto_hyperplane(x, w, b, Norm::kL2);
  EXPECT_TRUE(torch::allclose(l2, -c * w / (w * w).sum(1, true), 1e-9, 1e-12));
  // Both land on the plane.
  EXPECT_LT(((w * (x + linf)).sum(1) - b).abs().max().item<double>(), 1e-12);
  EXPECT_LT(((w * (x + l2)).sum(1) - b).abs().max().item<double>(), 1e-12);
}

TEST(FabProjection, HandComputedWhereTheBoxBinds) {
  // x = (0.1, 0.5), w = (1, 1): the plane w.z = b lies c = 0.6 - b below x.
  const auto x = torch::tensor({{0.1, 0.5}, {0.1, 0.5}, {0.1, 0.5}, {0.1, 0.5}}, torch::kDouble);
  const auto w = torch::ones({4, 2}, torch::kDouble);
  // c = 0.1: no bind, (-0.05, -0.05) both norms. c = 0.4: the first pixel stops at 0, the second
  // takes the rest: (-0.1, -0.3) for both norms. c = 0.7: out of the box's reach, both go to 0.
  // c = -0.3 (the plane above x): (+0.15, +0.15).
  const auto b = torch::tensor({0.5, 0.2, -0.1, 0.9}, torch::kDouble);
  const auto expected =
      torch::tensor({{-0.05, -0.05}, {-0.1, -0.3}, {-0.1, -0.5}, {0.15, 0.15}}, torch::kDouble);
  EXPECT_TRUE(torch::allclose(project_onto_hyperplane(x, w, b, Norm::kLinf), expected));
  EXPECT_TRUE(torch::allclose(project_onto_hyperplane(x, w, b, Norm::kL2), expected));
  // Unequal weights: w = (2, 1), x = (0.1, 0.5), c = 0.5. Linf: 2 min(l, 0.1) + min(l, 0.5) = 0.5
  // gives l = 0.3: (-0.1, -0.3). L2: d = -a w until the first pixel stops at a = 0.05, then the
  // second alone: 0.2 + a = 0.5, a = 0.3: (-0.1, -0.3) too. A zero weight never moves.
  const auto x2 = torch::tensor({{0.1, 0.5, 0.7}}, torch::kDouble);
  const auto w2 = torch::tensor({{2.0, 1.0, 0.0}}, torch::kDouble);
  const auto b2 = (w2 * x2).sum(1) - 0.5;
  const auto expected2 = torch::tensor({{-0.1, -0.3, 0.0}}, torch::kDouble);
  EXPECT_TRUE(torch::allclose(project_onto_hyperplane(x2, w2, b2, Norm::kLinf), expected2));
  EXPECT_TRUE(torch::allclose(project_onto_hyperplane(x2, w2, b2, Norm::kL2), expected2));
  // L2 with the box not binding on the unequal weights: d = -c w / ||w||^2 = -0.1 (2, 1) / 5.
  const auto b3 = (w2 * x2).sum(1) - 0.1;
  EXPECT_TRUE(torch::allclose(project_onto_hyperplane(x2, w2, b3, Norm::kL2),
                              torch::tensor({{-0.04, -0.02, 0.0}}, torch::kDouble)));
}

TEST(FabProjection, StaysInTheBoxAndIsNoLongerThanAnyFeasiblePoint) {
  torch::manual_seed(2);
  const auto x = torch::rand({200, 20}, torch::kDouble);
  const auto w = torch::randn({200, 20}, torch::kDouble);
  // A feasible point y in the box for each plane: the plane through it.
  const auto y = torch::rand({200, 20}, torch::kDouble);
  const auto b = (w * y).sum(1);
  for (const auto norm : {Norm::kLinf, Norm::kL2}) {
    const auto d = project_onto_hyperplane(x, w, b, norm);
    EXPECT_GE((x + d).min().item<double>(), -1e-12);
    EXPECT_LE((x + d).max().item<double>(), 1 + 1e-12);
    EXPECT_LT(((w * (x + d)).sum(1) - b).abs().max().item<double>(), 1e-9);
    // The smallest: no longer than y - x, which reaches the plane inside the box.
    EXPECT_TRUE(per_image_norm(d, norm).le(per_image_norm(y - x, norm) + 1e-12).all().item<bool>());
  }
}

TEST(Fab, FindsTheExactMinimalPerturbationOfALinearModelInOneStep) {
  torch::manual_seed(3);
  LinearNet net(4);
  auto model = small_classifier(torch::nn::AnyModule(net), 4);
  const auto images = 0.45 + 0.1 * torch::rand({40, 1, 4, 4});
  const auto logits = model.forward(images).detach();
  const auto labels = logits.argmax(1);
  const auto weight = net->linear->weight.detach();
  for (const auto norm : {Norm::kLinf, Norm::kL2}) {
    // The nearest boundary z_k = z_y and the smallest step onto it, by formula.
    auto best = torch::full({40}, INFINITY);
    auto step = torch::zeros({40, 16});
    for (std::int64_t k = 0; k < 4; ++k) {
      const auto g = weight[k].unsqueeze(0) - weight.index_select(0, labels);  // grad(z_k - z_y)
      const auto h = logits.select(1, k) - logits.gather(1, labels.view({-1, 1})).squeeze(1);
      const auto dual = norm == Norm::kLinf ? g.abs().sum(1) : g.norm(2, 1);
      const auto dist = (h.abs() / dual).masked_fill(labels.eq(k), INFINITY);
      const auto d = norm == Norm::kLinf ? g.sign() * (-h / dual).unsqueeze(1)
                                         : g * (-h / (g * g).sum(1)).unsqueeze(1);
      const auto closer = dist < best;
      best = torch::where(closer, dist, best);
      step = torch::where(closer.unsqueeze(1), d, step);
    }
    // The box binds nowhere: every image is far enough from 0 and 1 for its step.
    ASSERT_LT(step.abs().max().item<double>(), 0.3);
    AttackOptions options = exact({});
    options.norm = norm_name(norm);
    options.epsilon = 10;  // no budget: every success counts
    options.steps = 1;
    FabOptions fab;
    fab.final_search = 0;
    const auto result = Fab(options, fab).run_with_report(model, images, labels);
    // One step from x0: x1 = x0 + eta d for the minimal d (alpha mixes two equal steps).
    const auto expected = images + 1.05 * step.view({40, 1, 4, 4});
    EXPECT_TRUE(result.success.all().item<bool>()) << norm_name(norm);
    EXPECT_TRUE(torch::allclose(result.images, expected, 1e-4, 1e-5)) << norm_name(norm);
    // The final search then finds the boundary itself: the minimal distance, to rounding.
    const auto searched = Fab(options).run_with_report(model, images, labels);
    EXPECT_TRUE(searched.success.all().item<bool>()) << norm_name(norm);
    const auto found = distance(searched.images, images, norm);
    EXPECT_TRUE(found.le(1.05 * best + 1e-6).all().item<bool>()) << norm_name(norm);
    EXPECT_TRUE(found.ge(best * (1 - 1e-3)).all().item<bool>()) << norm_name(norm);
    EXPECT_LT(found.mean().item<double>(), 1.001 * best.mean().item<double>()) << norm_name(norm);
  }
}

TEST(Fab, SmallerPerturbationsThanPgdOnTheImagesBothBreak) {
  const auto batch = correct_batch(48, 31);
  for (const std::string norm : {"linf", "l2"}) {
    AttackSettings options;
    options.norm = norm;
    options.epsilon = norm == "linf" ? 0.12 : 2.5;
    options.steps = 20;
    const auto fab =
        make_attack("fab", options)->run_with_report(trained_model(), batch.images, batch.labels);
    const auto pgd =
        make_attack("pgd", options)->run_with_report(trained_model(), batch.images, batch.labels);
    const auto both = fab.success.logical_and(pgd.success).nonzero().flatten();
    ASSERT_GT(both.numel(), 5) << norm;
    const auto p = parse_norm(norm);
    const auto size = [&](const torch::Tensor& images) {
      return distance(images, batch.images, p).index_select(0, both).mean().item<double>();
    };
    EXPECT_LT(size(fab.images), size(pgd.images)) << norm;
    // Inside the budget, on the 8-bit grid.
    EXPECT_LE(distance(fab.images, batch.images, p).max().item<double>(), options.epsilon + 1e-6);
    EXPECT_TRUE(torch::equal(fab.images, quantize_8bit(fab.images))) << norm;
  }
}

TEST(Fab, VerdictIsTheModelsOnTheReturnedImages) {
  // A fresh batch (any misclassified image included), rounding on and off, a budget that breaks
  // some images and not others.
  const auto batch = make_batch(40, 32);
  for (const bool round : {true, false}) {
    for (const std::string method : {"fab", "fab-t"}) {
      AttackSettings options;
      options.round_to_8bit = round;
      options.epsilon = 0.06;
      options.steps = 10;
      const auto result = make_attack(method, options)
                              ->run_with_report(trained_model(), batch.images, batch.labels);
      const auto model_says =
          is_adversarial(logits_of(trained_model(), result.images), batch.labels, false);
      EXPECT_TRUE(torch::equal(result.success, model_says)) << method << " round " << round;
      EXPECT_GT(result.success.sum().item<int>(), 0);
      EXPECT_LT(result.success.sum().item<int>(), 40);
      // A failure returns the clean image; a success stays in the budget.
      const auto d = distance(result.images, batch.images, Norm::kLinf);
      EXPECT_LE(d.max().item<double>(), 0.06 + 1e-6);
      const auto failed = result.success.logical_not();
      EXPECT_EQ(d.masked_select(failed).sum().item<double>(), 0) << method;
    }
  }
}

TEST(Fab, TargetedRunReachesTheTargets) {
  const auto batch = correct_batch(30, 33);
  const auto targets = (batch.labels + 1).remainder(testing::kClasses);
  AttackSettings options;
  options.targeted = true;
  options.epsilon = 0.3;
  options.steps = 20;
  const auto result =
      make_attack("fab", options)->run_with_report(trained_model(), batch.images, targets);
  EXPECT_TRUE(torch::equal(result.success, testing::predicted(result.images).eq(targets)));
  EXPECT_GT(result.success.to(torch::kFloat).mean().item<double>(), 0.8);
}

TEST(Fab, TargetsAreTheMostLikelyWrongClassesInTurn) {
  torch::manual_seed(5);
  LinearNet net(6);
  auto model = small_classifier(torch::nn::AnyModule(net), 6);
  const auto images = 0.4 + 0.2 * torch::rand({8, 1, 4, 4});
  const auto labels = model.forward(images).argmax(1);
  AttackOptions options = exact({});
  options.epsilon = 0.0;  // nothing can succeed within it: every target gets its run
  options.steps = 2;
  FabOptions fab;
  fab.target_classes = 4;
  fab.restarts = 2;
  Fab attack(options, fab);
  attack.run(model, images, labels);
  ASSERT_EQ(attack.run_targets().size(), 8u);
  const auto ranked = model.forward(images).detach().argsort(1, /*descending=*/true);
  for (int run = 0; run < 8; ++run) {
    EXPECT_TRUE(torch::equal(attack.run_targets()[run], ranked.select(1, run / 2 + 1))) << run;
  }
  // With a budget, a later target runs only on the images still robust.
  options.epsilon = 0.2;
  Fab budgeted(options, fab);
  const auto result = budgeted.run_with_report(model, images, labels);
  ASSERT_GT(result.success.sum().item<int>(), 0);
  const auto& last = budgeted.run_targets().back();
  EXPECT_TRUE(last.eq(-1).logical_or(result.success.logical_not()).all().item<bool>());
  EXPECT_TRUE(last.eq(-1).masked_select(result.success).all().item<bool>());
}

TEST(Fab, IndependentOfBatchingWithImageKeys) {
  const auto batch = make_batch(20, 34);
  for (const std::string norm : {"linf", "l2"}) {
    AttackSettings options;
    options.norm = norm;
    options.epsilon = norm == "linf" ? 0.04 : 0.6;  // most images survive the first run
    options.steps = 5;
    options.pgd.restarts = 3;
    options.seed = 9;
    const auto keys = torch::arange(300, 320, torch::kLong);
    options.batch_size = 20;
    auto whole = make_attack("fab", options);
    whole->set_image_keys(keys);
    torch::manual_seed(1);
    const auto a = whole->run_with_report(trained_model(), batch.images, batch.labels);
    options.batch_size = 3;
    auto small = make_attack("fab", options);
    torch::manual_seed(2);  // the default generator plays no part
    const auto reverse = torch::arange(19, -1, -1, torch::kLong);
    small->set_image_keys(keys.index_select(0, reverse));
    const auto b = small->run_with_report(trained_model(), batch.images.index_select(0, reverse),
                                          batch.labels.index_select(0, reverse));
    EXPECT_TRUE(torch::equal(a.images, b.images.index_select(0, reverse))) << norm;
    EXPECT_TRUE(torch::equal(a.success, b.success.index_select(0, reverse))) << norm;
  }
}

TEST(Fab, RefusesOptionsOutOfDomain) {
  const auto refused = [](FabOptions fab, AttackOptions options = {}) {
    EXPECT_THROW(Fab(options, fab), core::OptionError);
  };
  FabOptions f;
  f.alpha_max = 1.5;
  refused(f);
  f = {};
  f.eta = 0.9;
  refused(f);
  f = {};
  f.beta = 0;
  refused(f);
  f = {};
  f.restarts = 0;
  refused(f);
  f = {};
  f.target_classes = 9;
  AttackOptions targeted;
  targeted.targeted = true;
  refused(f, targeted);
  AttackOptions l1;
  l1.norm = "l1";
  refused({}, l1);
  // More targets than wrong classes: a clear error when the model's classes are known.
  AttackOptions options;
  options.steps = 1;
  FabOptions nine;
  nine.target_classes = 9;
  Fab too_many(options, nine);
  const auto batch = correct_batch(4, 35);
  EXPECT_THROW(too_many.run(trained_model(), batch.images, batch.labels), core::OptionError);
  FabOptions two;
  two.target_classes = 2;  // the 3-class model has exactly 2 wrong classes
  EXPECT_NO_THROW(Fab(options, two).run(trained_model(), batch.images, batch.labels));
}

TEST(Fab, RegisteredWithItsTargetedStage) {
  AttackSettings settings;
  settings.steps = 5;
  EXPECT_EQ(make_attack("fab", settings)->name(), "fab");
  EXPECT_EQ(make_attack("fab-t", settings)->name(), "fab-t");
}

}  // namespace
}  // namespace nnlab::attack
