// Square Attack: the query budget and its counting, forward passes only, the reference's p
// schedule and window sizes, the threat model (ball, box, 8-bit grid), the verdict on the returned
// images, independence of the batching under image keys, and its strength on the trained model.
#include "nnlab/attack/square.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>

#include "attack/attack_testing.h"
#include "nnlab/core/error.h"

namespace nnlab::attack {
namespace {

using testing::correct_batch;
using testing::exact;
using testing::trained_model;

// Fixed logits whatever the input (class 0 wins): an image labelled 0 can never be broken, one
// labelled 1 or 2 is adversarial from the first query. Counts the images it was given and
// whether any call could have built a graph.
struct ConstantNetImpl : torch::nn::Module {
  ConstantNetImpl() { bias = register_parameter("bias", torch::tensor({1.0f, 0.0f, -1.0f})); }
  torch::Tensor forward(const torch::Tensor& x) {
    rows += x.size(0);
    graph_possible = graph_possible || torch::GradMode::is_enabled() || x.requires_grad();
    return bias.unsqueeze(0).expand({x.size(0), 3}) + 0 * x.flatten(1).sum(1, true);
  }
  torch::Tensor bias;
  std::int64_t rows = 0;
  bool graph_possible = false;
};
TORCH_MODULE(ConstantNet);

// The trained model behind the same checks.
struct WatchedNetImpl : torch::nn::Module {
  explicit WatchedNetImpl(models::Classifier inner) : inner(std::move(inner)) {}
  torch::Tensor forward(const torch::Tensor& x) {
    rows += x.size(0);
    graph_possible = graph_possible || torch::GradMode::is_enabled() || x.requires_grad();
    return inner.forward(x);
  }
  models::Classifier inner;
  std::int64_t rows = 0;
  bool graph_possible = false;
};
TORCH_MODULE(WatchedNet);

models::Classifier wrap(torch::nn::AnyModule net, std::int64_t classes, std::int64_t side) {
  models::ModelInfo info;
  info.arch = "test";
  info.num_classes = classes;
  info.height = side;
  info.width = side;
  return models::Classifier(std::move(net), info);
}

AttackOptions options_for(const std::string& norm, double eps, bool round = true) {
  AttackOptions options;
  options.norm = norm;
  options.epsilon = eps;
  options.round_to_8bit = round;
  options.seed = 3;
  return options;
}

TEST(Square, PSelectionFollowsTheReferenceSchedule) {
  // fra31/auto-attack: the iteration rescaled to 10,000, p halved past 10, 50, 200, 500, 1000,
  // 2000, 4000, 6000, 8000.
  EXPECT_DOUBLE_EQ(Square::p_selection(0.8, 0, 5000), 0.8);
  EXPECT_DOUBLE_EQ(Square::p_selection(0.8, 5, 5000), 0.8);  // 10 is not past 10
  EXPECT_DOUBLE_EQ(Square::p_selection(0.8, 6, 5000), 0.4);
  EXPECT_DOUBLE_EQ(Square::p_selection(0.8, 25, 5000), 0.4);         // 50
  EXPECT_DOUBLE_EQ(Square::p_selection(0.8, 26, 5000), 0.2);         // 52
  EXPECT_DOUBLE_EQ(Square::p_selection(0.8, 1000, 5000), 0.8 / 32);  // 2000
  EXPECT_DOUBLE_EQ(Square::p_selection(0.8, 2500, 5000), 0.8 / 128);
  EXPECT_DOUBLE_EQ(Square::p_selection(0.8, 4999, 5000), 0.8 / 512);
  EXPECT_DOUBLE_EQ(Square::p_selection(0.5, 3, 100), 0.5 / 8);  // 300: past 10, 50 and 200
}

TEST(Square, WindowSizeIsTheSideCoveringTheShareP) {
  // sqrt(0.8 * 784) = 25.04; sqrt(0.4 * 784) = 17.7.
  EXPECT_EQ(Square::window_size(0.8, 28, 28, Norm::kLinf), 25);
  EXPECT_EQ(Square::window_size(0.4, 28, 28, Norm::kLinf), 18);
  EXPECT_EQ(Square::window_size(0.4, 28, 28, Norm::kL2), 19);  // odd
  EXPECT_EQ(Square::window_size(0.8 / 512, 28, 28, Norm::kLinf), 1);
  EXPECT_EQ(Square::window_size(0.8 / 512, 28, 28, Norm::kL2), 3);
  EXPECT_EQ(Square::window_size(1.0, 4, 4, Norm::kL2), 4);  // never wider than the image
}

TEST(Square, NeverExceedsItsQueryBudget) {
  // Unbreakable images spend exactly the budget; the counts add up to the forward passes.
  for (const std::string norm : {"linf", "l2"}) {
    for (const int restarts : {1, 2}) {
      ConstantNet net;
      auto model = wrap(torch::nn::AnyModule(net), 3, 8);
      Square square(options_for(norm, 0.1), {/*queries=*/7, /*p_init=*/0.8, restarts});
      const auto images = torch::rand({5, 1, 8, 8});
      const auto result = square.run_with_report(model, images, torch::zeros({5}, torch::kLong));
      ASSERT_TRUE(result.queries.defined());
      EXPECT_EQ(result.queries.scalar_type(), torch::kLong);
      EXPECT_TRUE(result.queries.eq(7 * restarts).all().item<bool>()) << norm << result.queries;
      EXPECT_EQ(net->rows, 5 * 7 * restarts) << norm;
      EXPECT_FALSE(result.success.any().item<bool>());
    }
  }
  // On the trained model: at most the budget, at least the first evaluation, and every query a
  // forward pass of the image.
  const auto batch = correct_batch(24, 11);
  WatchedNet net(trained_model());
  auto model = wrap(torch::nn::AnyModule(net), testing::kClasses, 28);
  for (const int budget : {1, 7, 40}) {
    net->rows = 0;
    Square square(options_for("linf", 0.2), {budget, 0.8, 1});
    const auto result = square.run_with_report(model, batch.images, batch.labels);
    EXPECT_TRUE(result.queries.le(budget).all().item<bool>()) << budget << result.queries;
    EXPECT_TRUE(result.queries.ge(1).all().item<bool>());
    EXPECT_EQ(net->rows, result.queries.sum().item<std::int64_t>());
    // Only a success ends an image's run early.
    EXPECT_TRUE(result.success.logical_or(result.queries.eq(budget)).all().item<bool>());
  }
}

TEST(Square, StopsQueryingAnImageAtItsFirstSuccess) {
  ConstantNet net;
  auto model = wrap(torch::nn::AnyModule(net), 3, 8);
  Square square(options_for("linf", 0.1), {/*queries=*/50, 0.8, 1});
  const auto labels = torch::tensor({1, 0, 2}, torch::kLong);  // 1, 2: wrong from the start
  const auto result = square.run_with_report(model, torch::rand({3, 1, 8, 8}), labels);
  EXPECT_TRUE(torch::equal(result.queries, torch::tensor({1, 50, 1}, torch::kLong)))
      << result.queries;
  EXPECT_EQ(net->rows, 52);
}

TEST(Square, CallsOnlyTheForwardPass) {
  for (const std::string norm : {"linf", "l2"}) {
    const auto batch = correct_batch(8, 12);
    WatchedNet net(trained_model());
    auto model = wrap(torch::nn::AnyModule(net), testing::kClasses, 28);
    Square square(options_for(norm, norm == "linf" ? 0.1 : 1.0), {/*queries=*/30, 0.8, 1});
    square.run_with_report(model, batch.images, batch.labels);
    EXPECT_GT(net->rows, 0);
    EXPECT_FALSE(net->graph_possible) << norm << ": a forward pass ran with gradients enabled";
    for (const auto& p : trained_model().parameters()) EXPECT_FALSE(p.grad().defined());
  }
}

TEST(Square, BreaksTheTrainedModelAtALargeEpsilon) {
  const auto batch = correct_batch(32, 13);
  ASSERT_GE(batch.images.size(0), 20);
  struct Case {
    std::string norm;
    double eps;
  };
  for (const auto& c : {Case{"linf", 0.3}, Case{"l2", 6.0}}) {
    Square square(options_for(c.norm, c.eps), {/*queries=*/300, 0.8, 1});
    const auto result = square.run_with_report(trained_model(), batch.images, batch.labels);
    const double rate = result.success.to(torch::kDouble).mean().item<double>();
    EXPECT_GE(rate, 0.9) << c.norm;
    EXPECT_NEAR(testing::success_rate(result.images, batch.labels, false), rate, 1e-12);
  }
}

TEST(Square, StaysInTheBallAndTheBox) {
  const auto batch = correct_batch(16, 14);
  struct Case {
    std::string norm;
    double eps;
    bool round;
  };
  for (const auto& c : {Case{"linf", 8.0 / 255, true}, Case{"linf", 0.1, true},
                        Case{"linf", 0.1, false}, Case{"l2", 1.5, true}, Case{"l2", 1.5, false}}) {
    Square square(options_for(c.norm, c.eps, c.round), {/*queries=*/60, 0.8, 1});
    const auto result = square.run_with_report(trained_model(), batch.images, batch.labels);
    const auto d = result.images - batch.images;
    EXPECT_LE(per_image_norm(d, parse_norm(c.norm)).max().item<double>(), c.eps + 1e-5)
        << c.norm << " " << c.eps;
    EXPECT_GE(result.images.min().item<double>(), 0.0);
    EXPECT_LE(result.images.max().item<double>(), 1.0);
    if (c.round) {
      EXPECT_TRUE(is_on_8bit_grid(result.images)) << c.norm;
    }
    // The search moves the images: not the clean ones returned.
    EXPECT_GT(per_image_norm(d, parse_norm(c.norm)).min().item<double>(), 0.0) << c.norm;
  }
}

TEST(Square, SuccessIsTheModelsVerdictOnTheReturnedImages) {
  const auto batch = correct_batch(24, 15);
  for (const std::string norm : {"linf", "l2"}) {
    for (const bool round : {true, false}) {
      // A budget where some images break and some do not.
      Square square(options_for(norm, norm == "linf" ? 0.12 : 1.5, round), {25, 0.8, 1});
      const auto result = square.run_with_report(trained_model(), batch.images, batch.labels);
      const auto verdict =
          is_adversarial(logits_of(trained_model(), result.images), batch.labels, false);
      EXPECT_TRUE(torch::equal(verdict, result.success)) << norm << " round " << round;
    }
  }
}

TEST(Square, SameResultWhateverTheBatchingUnderImageKeys) {
  const auto batch = correct_batch(10, 16);
  for (const std::string norm : {"linf", "l2"}) {
    AttackResult results[2];
    const std::int64_t sizes[2] = {1, 64};
    for (int k = 0; k < 2; ++k) {
      auto options = options_for(norm, norm == "linf" ? 0.1 : 1.0);
      options.batch_size = sizes[k];
      Square square(options, {/*queries=*/25, 0.8, 2});
      square.set_image_keys(torch::arange(batch.images.size(0), torch::kLong) + 100);
      results[k] = square.run_with_report(trained_model(), batch.images, batch.labels);
    }
    EXPECT_TRUE(torch::equal(results[0].queries, results[1].queries)) << norm;
    EXPECT_TRUE(torch::equal(results[0].success, results[1].success)) << norm;
    EXPECT_TRUE(torch::allclose(results[0].images, results[1].images, 0, 1e-6)) << norm;
  }
}

TEST(Square, TargetedReachesTheTarget) {
  const auto batch = correct_batch(16, 17);
  const auto targets = (batch.labels + 1) % testing::kClasses;
  auto options = options_for("linf", 0.3);
  options.targeted = true;
  Square square(options, {/*queries=*/300, 0.8, 1});
  const auto result = square.run_with_report(trained_model(), batch.images, targets);
  EXPECT_TRUE(torch::equal(testing::predicted(result.images).eq(targets), result.success));
  EXPECT_GE(result.success.to(torch::kDouble).mean().item<double>(), 0.8);
}

TEST(Square, RefusesOptionsOutOfDomain) {
  const auto expect_error = [](SquareOptions square, const std::string& field,
                               const std::string& norm = "linf") {
    try {
      Square attack(options_for(norm, 0.1), square);
      ADD_FAILURE() << field << " accepted";
    } catch (const core::OptionError& e) {
      EXPECT_EQ(e.option(), field);
    }
  };
  expect_error({0, 0.8, 1}, "SquareOptions.queries");
  expect_error({-5, 0.8, 1}, "SquareOptions.queries");
  expect_error({100, 0.0, 1}, "SquareOptions.p_init");
  expect_error({100, 1.5, 1}, "SquareOptions.p_init");
  expect_error({100, 0.8, 0}, "SquareOptions.restarts");
  expect_error({100, 0.8, 1}, "AttackOptions.norm", "l1");
}

TEST(Square, RegisteredWithItsOwnSettings) {
  AttackSettings settings;
  settings.epsilon = 0.1;
  settings.square.queries = 3;
  settings.pgd.restarts = 2;
  auto attack = make_attack("square", settings);
  EXPECT_EQ(attack->name(), "square");
  ConstantNet net;
  auto model = wrap(torch::nn::AnyModule(net), 3, 8);
  const auto result =
      attack->run_with_report(model, torch::rand({2, 1, 8, 8}), torch::zeros({2}, torch::kLong));
  EXPECT_TRUE(result.queries.eq(3 * 2).all().item<bool>()) << result.queries;
  settings.square.queries = 0;
  EXPECT_THROW(make_attack("square", settings), core::OptionError);
}

}  // namespace
}  // namespace nnlab::attack
