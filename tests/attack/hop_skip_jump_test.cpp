// HopSkipJump: labels only (the same run on a model and on its one-hot argmax, every forward row
// counted), the query budget, the distance it reaches on a linear model whose minimal distances
// are known in closed form, the epsilon budget and rounding, batching under image keys, targeted
// runs that cannot start, and option errors.
#include "nnlab/attack/hop_skip_jump.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>
#include <memory>

#include "attack/attack_testing.h"
#include "nnlab/core/error.h"

namespace nnlab::attack {
namespace {

using testing::correct_batch;
using testing::exact;
using testing::trained_model;

// Another classifier's decisions as one-hot logits, counting the images it is asked about: what
// an attack that reads only labels cannot tell from the classifier itself.
struct OneHotImpl : torch::nn::Module {
  explicit OneHotImpl(models::Classifier* inner) : inner(inner) {}
  torch::Tensor forward(const torch::Tensor& x) {
    rows += x.size(0);
    const auto classes = inner->info().num_classes;
    return torch::one_hot(inner->forward(x).argmax(1), classes).to(torch::kFloat32);
  }
  models::Classifier* inner;
  std::int64_t rows = 0;
};
TORCH_MODULE(OneHot);

// logits = (0, w . flatten(x) + b): the boundary is a hyperplane, so the smallest perturbation
// that flips an image is |f(x)| / ||w||_2 in L2 and |f(x)| / ||w||_1 in Linf while the box
// [0,1] does not bind.
struct HyperplaneImpl : torch::nn::Module {
  HyperplaneImpl(torch::Tensor w, double b) : w(std::move(w)), b(b) {}
  torch::Tensor forward(const torch::Tensor& x) {
    const auto f = torch::mv(x.flatten(1), w) + b;
    return torch::stack({torch::zeros_like(f), f}, 1);
  }
  torch::Tensor w;
  double b;
};
TORCH_MODULE(Hyperplane);

// Always class 0, whatever the input.
struct ConstantImpl : torch::nn::Module {
  torch::Tensor forward(const torch::Tensor& x) {
    return torch::tensor({1.0f, 0.0f, 0.0f}).expand({x.size(0), 3}) + 0 * x.flatten(1).sum(1, true);
  }
};
TORCH_MODULE(Constant);

models::Classifier wrap(torch::nn::AnyModule net, const models::ModelInfo& like,
                        std::int64_t classes) {
  models::ModelInfo info = like;
  info.arch = "test";
  info.num_classes = classes;
  info.mean.clear();
  info.std.clear();
  return models::Classifier(std::move(net), info);
}

models::ModelInfo four_by_four() {
  models::ModelInfo info;
  info.height = 4;
  info.width = 4;
  return info;
}

struct LinearCase {
  models::Classifier model;
  torch::Tensor images, labels;
  torch::Tensor l2, linf;  // the exact minimal distances
};

LinearCase linear_case(std::int64_t n) {
  auto generator = at::make_generator<at::CPUGeneratorImpl>(5);
  auto w = torch::randn({16}, generator);
  w = w / w.norm();
  // The plane through the grey image 0.5; each image is 0.5 plus noise along the plane (at most
  // 0.1 a pixel) plus 0.2 to 0.4 along +-w, so that |f(x)| / ||w|| is that offset. The L2
  // minimizer moves a pixel by at most 0.4 |w_i| and the Linf one by 0.4 / ||w||_1: the box
  // does not bind.
  const double b = -0.5 * w.sum().item<double>();
  auto noise = (torch::rand({n, 16}, generator) - 0.5) * 0.2;
  noise = noise - torch::outer(torch::mv(noise, w), w);
  const auto offset = 0.2 + 0.2 * torch::rand({n}, generator);
  const auto side = torch::where(torch::rand({n}, generator) < 0.5, torch::full({n}, -1.0f),
                                 torch::full({n}, 1.0f));
  const auto images = (0.5 + noise + torch::outer(side * offset, w)).view({n, 1, 4, 4}).clamp(0, 1);
  Hyperplane net(w, b);
  auto model = wrap(torch::nn::AnyModule(net), four_by_four(), 2);
  const auto f = torch::mv(images.flatten(1), w) + b;
  return {model, images, f.gt(0).to(torch::kLong), f.abs() / w.norm(), f.abs() / w.abs().sum()};
}

TEST(HopSkipJump, SeesOnlyLabelsAndCountsEveryForwardRow) {
  auto& model = trained_model();
  auto batch = correct_batch(12, 31);
  OneHot net(&model);
  auto one_hot = wrap(torch::nn::AnyModule(net), model.info(), testing::kClasses);
  for (const auto* norm : {"l2", "linf"}) {
    AttackOptions options;
    options.norm = norm;
    options.epsilon = std::string(norm) == "l2" ? 1.9 : 0.12;
    options.seed = 3;
    HopSkipJumpOptions hsj;
    hsj.max_queries = 700;
    HopSkipJump attack(options, hsj);
    const auto a = attack.run_with_report(model, batch.images, batch.labels);
    net->rows = 0;
    const auto b = attack.run_with_report(one_hot, batch.images, batch.labels);
    EXPECT_TRUE(torch::equal(a.images, b.images)) << norm;
    EXPECT_TRUE(torch::equal(a.success, b.success)) << norm;
    EXPECT_TRUE(torch::equal(a.queries, b.queries)) << norm;
    // Every image the model saw is a counted query.
    EXPECT_EQ(net->rows, b.queries.sum().item<std::int64_t>()) << norm;
    EXPECT_GT(a.success.sum().item<int>(), 0) << norm;
  }
}

TEST(HopSkipJump, NoImageExceedsItsQueryBudget) {
  auto& model = trained_model();
  auto batch = correct_batch(16, 32);
  OneHot net(&model);
  auto counted = wrap(torch::nn::AnyModule(net), model.info(), testing::kClasses);
  for (const std::int64_t budget : {1, 40, 150, 333, 1000}) {
    AttackOptions options = exact({});
    options.norm = "l2";
    options.epsilon = 0;  // nothing stops early: every image spends what it may
    HopSkipJumpOptions hsj;
    hsj.max_queries = budget;
    HopSkipJump attack(options, hsj);
    net->rows = 0;
    const auto result = attack.run_with_report(counted, batch.images, batch.labels);
    ASSERT_EQ(result.queries.numel(), batch.images.size(0));
    EXPECT_LE(result.queries.max().item<std::int64_t>(), budget) << budget;
    EXPECT_GE(result.queries.min().item<std::int64_t>(), 1) << budget;
    EXPECT_EQ(net->rows, result.queries.sum().item<std::int64_t>()) << budget;
  }
}

TEST(HopSkipJump, ApproachesTheClosedFormDistanceOfALinearModel) {
  auto c = linear_case(6);
  for (const auto* norm : {"l2", "linf"}) {
    const auto exact_distance = std::string(norm) == "l2" ? c.l2 : c.linf;
    AttackOptions options = exact({});
    options.norm = norm;
    options.epsilon = 0;  // no early stop: the whole budget goes into shrinking the distance
    options.seed = 9;
    std::vector<torch::Tensor> reached;
    for (const std::int64_t budget : {300, 1500, 6000}) {
      HopSkipJumpOptions hsj;
      hsj.max_queries = budget;
      HopSkipJump attack(options, hsj);
      const auto result = attack.run_with_report(c.model, c.images, c.labels);
      EXPECT_FALSE(result.success.any().item<bool>());     // none within epsilon 0
      EXPECT_TRUE(torch::equal(result.images, c.images));  // failures are returned clean
      reached.push_back(attack.distances().to(torch::kFloat32));
    }
    // Never below the true minimum (up to float error); never worse with more queries.
    EXPECT_TRUE((reached[0] >= exact_distance * (1 - 1e-4)).all().item<bool>()) << norm;
    EXPECT_TRUE((reached[1] <= reached[0]).all().item<bool>()) << norm;
    EXPECT_TRUE((reached[2] <= reached[1]).all().item<bool>()) << norm;
    const auto ratio = reached[2] / exact_distance;
    EXPECT_LE(ratio.max().item<double>(), 1.05) << norm << ": " << ratio;
  }
}

TEST(HopSkipJump, SuccessIsTheModelsVerdictWithinEpsilon) {
  auto& model = trained_model();
  auto batch = correct_batch(16, 33);
  for (const bool round : {true, false}) {
    for (const auto* norm : {"l2", "linf"}) {
      AttackOptions options;
      options.round_to_8bit = round;
      options.norm = norm;
      options.epsilon = std::string(norm) == "l2" ? 1.9 : 0.12;
      HopSkipJumpOptions hsj;
      hsj.max_queries = 600;
      HopSkipJump attack(options, hsj);
      const auto result = attack.run_with_report(model, batch.images, batch.labels);
      const auto verdict = is_adversarial(logits_of(model, result.images), batch.labels, false);
      EXPECT_TRUE(torch::equal(result.success, verdict)) << norm << round;
      const auto d = per_image_norm(result.images - batch.images, parse_norm(norm));
      EXPECT_LE(d.max().item<double>(), options.epsilon + 1e-6) << norm << round;
      // Failures come back clean; successes and failures both occur at these budgets.
      const auto failed = result.success.logical_not().nonzero().flatten();
      EXPECT_TRUE(torch::equal(result.images.index_select(0, failed),
                               batch.images.index_select(0, failed)));
      EXPECT_GT(result.success.sum().item<int>(), 0) << norm << round;
      EXPECT_GT(failed.numel(), 0) << norm << round;
      if (round) {
        EXPECT_TRUE(torch::equal(result.images, quantize_8bit(result.images)));
      }
    }
  }
}

TEST(HopSkipJump, StopsQueryingOnceWithinEpsilon) {
  auto batch = correct_batch(8, 34);
  AttackOptions options = exact({});
  options.norm = "l2";
  options.epsilon = 100;  // any adversarial point is within: the start suffices
  HopSkipJumpOptions hsj;
  hsj.max_queries = 5000;
  HopSkipJump attack(options, hsj);
  const auto result = attack.run_with_report(trained_model(), batch.images, batch.labels);
  EXPECT_TRUE(result.success.all().item<bool>());
  // The clean check, the noise draws, 10 blend steps and the boundary search, no iteration.
  EXPECT_LT(result.queries.max().item<std::int64_t>(), 100) << result.queries;
}

TEST(HopSkipJump, AnImageAlreadyAdversarialCostsOneQuery) {
  auto batch = correct_batch(4, 35);
  const auto wrong = (batch.labels + 1) % testing::kClasses;
  AttackOptions options;
  options.norm = "l2";
  options.epsilon = 0.5;
  HopSkipJump attack(options);
  const auto result = attack.run_with_report(trained_model(), batch.images, wrong);
  EXPECT_TRUE(result.success.all().item<bool>());
  EXPECT_TRUE(torch::equal(result.images, batch.images));
  EXPECT_TRUE(torch::equal(result.queries, torch::ones({4}, torch::kLong)));
}

TEST(HopSkipJump, BatchingDoesNotChangeTheResultUnderImageKeys) {
  auto batch = correct_batch(10, 36);
  const auto keys = torch::arange(40, 50, torch::kLong);
  AttackOptions options;
  options.norm = "linf";
  options.epsilon = 0.07;
  options.seed = 4;
  HopSkipJumpOptions hsj;
  hsj.max_queries = 600;
  options.batch_size = 64;
  HopSkipJump whole(options, hsj);
  whole.set_image_keys(keys);
  const auto a = whole.run_with_report(trained_model(), batch.images, batch.labels);
  options.batch_size = 1;
  HopSkipJump single(options, hsj);
  single.set_image_keys(keys);
  const auto b = single.run_with_report(trained_model(), batch.images, batch.labels);
  EXPECT_TRUE(torch::equal(a.images, b.images));
  EXPECT_TRUE(torch::equal(a.success, b.success));
  EXPECT_TRUE(torch::equal(a.queries, b.queries));
  // Another seed draws other probes.
  options.seed = 5;
  HopSkipJump other(options, hsj);
  other.set_image_keys(keys);
  EXPECT_FALSE(torch::equal(
      a.queries, other.run_with_report(trained_model(), batch.images, batch.labels).queries));
}

TEST(HopSkipJump, TargetedRunThatNoNoiseReachesFailsWithinItsBudget) {
  auto model = wrap(torch::nn::AnyModule(Constant()), four_by_four(), 3);
  const auto images = torch::full({3, 1, 4, 4}, 0.5);
  AttackOptions options = exact({});
  options.targeted = true;
  options.norm = "l2";
  options.epsilon = 1.0;
  HopSkipJumpOptions hsj;
  hsj.max_queries = 50;
  HopSkipJump attack(options, hsj);
  const auto result = attack.run_with_report(model, images, torch::tensor({1, 2, 0}, torch::kLong));
  // Class 0 is every image's class: the third is already "at" its target.
  EXPECT_TRUE(torch::equal(result.success, torch::tensor({false, false, true})));
  EXPECT_TRUE(torch::equal(result.images, images));
  EXPECT_TRUE(torch::equal(result.queries, torch::tensor({50, 50, 1}, torch::kLong)));
}

TEST(HopSkipJump, TargetedRunReachesItsTarget) {
  auto& model = trained_model();
  auto batch = correct_batch(8, 37);
  const auto targets = (batch.labels + 1) % testing::kClasses;
  AttackOptions options;
  options.targeted = true;
  options.norm = "l2";
  options.epsilon = 3.0;
  HopSkipJumpOptions hsj;
  hsj.max_queries = 1000;
  HopSkipJump attack(options, hsj);
  const auto result = attack.run_with_report(model, batch.images, targets);
  const auto predicted = logits_of(model, result.images).argmax(1);
  EXPECT_TRUE(torch::equal(result.success, predicted.eq(targets)));
  EXPECT_GT(result.success.sum().item<int>(), 0);
}

TEST(HopSkipJump, RefusesOptionsOutsideTheirDomain) {
  const auto refused = [](HopSkipJumpOptions hsj, const std::string& field) {
    try {
      HopSkipJump attack(AttackOptions{}, hsj);
      ADD_FAILURE() << field << " accepted";
    } catch (const core::OptionError& e) {
      EXPECT_NE(std::string(e.what()).find(field), std::string::npos) << e.what();
    }
  };
  HopSkipJumpOptions hsj;
  hsj.max_queries = 0;
  refused(hsj, "HopSkipJumpOptions.max_queries");
  hsj = {};
  hsj.iterations = 0;
  refused(hsj, "HopSkipJumpOptions.iterations");
  hsj = {};
  hsj.max_evals = 50;
  refused(hsj, "HopSkipJumpOptions.max_evals");
  hsj = {};
  hsj.gamma = 0;
  refused(hsj, "HopSkipJumpOptions.gamma");
  AttackOptions bad_norm;
  bad_norm.norm = "l1";
  EXPECT_THROW(HopSkipJump(bad_norm, {}), core::OptionError);
}

TEST(HopSkipJump, RegisteredWithItsOwnSettings) {
  AttackSettings settings;
  settings.hsj.max_queries = 0;
  EXPECT_THROW(make_attack("hsj", settings), core::OptionError);
  settings.hsj.max_queries = 10;
  EXPECT_EQ(make_attack("hsj", settings)->name(), "hsj");
}

}  // namespace
}  // namespace nnlab::attack
