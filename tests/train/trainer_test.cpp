#include "nnlab/train/trainer.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <sstream>

#include "nnlab/core/atomic_file.h"
#include "nnlab/core/error.h"
#include "nnlab/core/execution_context.h"
#include "nnlab/models/registry.h"
#include "nnlab/train/evaluate.h"

namespace nnlab::train {

namespace {

// Two linearly separable classes of 1x28x28 images: bright top half vs bright bottom half.
data::TrainTestSplit separable(std::int64_t n) {
  auto make = [](std::int64_t count, int seed) {
    torch::manual_seed(seed);
    data::Dataset d;
    d.labels = torch::randint(0, 2, {count}, torch::kLong);
    d.images = torch::rand({count, 1, 28, 28}) * 0.2;
    for (std::int64_t i = 0; i < count; ++i) {
      const auto top = d.labels[i].item<std::int64_t>() == 0;
      d.images[i].slice(1, top ? 0 : 14, top ? 14 : 28) += 0.6;
    }
    d.source = "synthetic";
    return d;
  };
  return {make(n, 1), make(n / 4, 2)};
}

}  // namespace

TEST(Trainer, LearnsASeparableProblem) {
  auto model = models::create_model("lenet300", {/*num_classes=*/2, 0});
  TrainOptions options;
  options.epochs = 3;
  options.batch_size = 32;
  options.progress = false;
  Trainer trainer(model, options);
  const auto result = trainer.fit(separable(512));
  ASSERT_EQ(result.history.size(), 3u);
  EXPECT_GT(result.history.back().test_accuracy, 0.95);
  EXPECT_LT(result.history.back().train_loss, result.history.front().train_loss);
  EXPECT_EQ(trainer.completed_epochs(), 3);
}

TEST(Trainer, SameSeedSameWeights) {
  auto run = [] {
    auto model = models::create_model("lenet5", {2, 0});
    torch::manual_seed(0);
    for (auto& p : model.parameters()) {
      torch::NoGradGuard g;
      p.uniform_(-0.1, 0.1);
    }
    TrainOptions options;
    options.epochs = 1;
    options.progress = false;
    options.augment = true;
    options.seed = 9;
    Trainer(model, options).fit(separable(128));
    return model.parameters();
  };
  const auto a = run(), b = run();
  for (size_t i = 0; i < a.size(); ++i) EXPECT_TRUE(torch::equal(a[i], b[i]));
}

TEST(Trainer, HooksAreCalled) {
  auto model = models::create_model("lenet300", {2, 0});
  TrainOptions options;
  options.epochs = 1;
  options.batch_size = 64;
  options.progress = false;
  int transformed = 0, after_backward = 0, after_step = 0, epochs = 0;
  TrainHooks hooks;
  hooks.transform_batch = [&](models::Classifier&, const torch::Tensor& x, const torch::Tensor&) {
    ++transformed;
    return x;
  };
  hooks.after_backward = [&](models::Classifier&) { ++after_backward; };
  hooks.after_step = [&](models::Classifier&) { ++after_step; };
  hooks.on_epoch = [&](const EpochMetrics&, models::Checkpoint&) { ++epochs; };
  options.checkpoint_path = ::testing::TempDir() + "/hooks.ckpt";
  Trainer(model, options, hooks).fit(separable(256));
  EXPECT_EQ(transformed, 4);
  EXPECT_EQ(after_backward, 4);
  EXPECT_EQ(after_step, 4);
  EXPECT_EQ(epochs, 1);
}

TEST(Trainer, EveryMetricsLineCarriesTheProvenanceBlock) {
  auto model = models::create_model("lenet300", {2, 0});
  TrainOptions options;
  options.epochs = 2;
  options.batch_size = 64;
  options.progress = false;
  options.metrics_path = ::testing::TempDir() + "/provenance.metrics.jsonl";
  core::ExecutionContext context;
  context.seed = 5;
  options.metrics_provenance = core::provenance(context);
  Trainer(model, options).fit(separable(128));
  std::istringstream lines(core::read_file(options.metrics_path));
  int count = 0;
  for (std::string line; std::getline(lines, line); ++count) {
    const auto j = nlohmann::json::parse(line);
    EXPECT_EQ(j["epoch"].get<int>(), count + 1);
    EXPECT_EQ(j[core::kProvenanceKey], options.metrics_provenance);
    EXPECT_EQ(j[core::kProvenanceKey]["seed"].get<std::uint64_t>(), 5u);
    EXPECT_TRUE(j.contains("format_version"));
  }
  EXPECT_EQ(count, 2);
  // Without a block, none is written.
  options.metrics_provenance = nullptr;
  Trainer(model, options).fit(separable(128));
  const auto first = core::read_file(options.metrics_path);
  EXPECT_FALSE(
      nlohmann::json::parse(first.substr(0, first.find('\n'))).contains(core::kProvenanceKey));
}

TEST(Trainer, AfterEpochStopsEarlyAndItsMetricsAreKept) {
  auto model = models::create_model("lenet300", {2, 0});
  TrainOptions options;
  options.epochs = 5;
  options.progress = false;
  options.checkpoint_path = ::testing::TempDir() + "/early.ckpt";
  TrainHooks hooks;
  hooks.after_epoch = [](models::Classifier&, EpochMetrics& m) {
    m.extra["robust"] = 0.25 * m.epoch;
    return m.epoch < 2;
  };
  Trainer trainer(model, options, hooks);
  const auto result = trainer.fit(separable(128));
  EXPECT_TRUE(result.stopped_early);
  ASSERT_EQ(result.history.size(), 2u);
  EXPECT_EQ(trainer.completed_epochs(), 2);

  // The extra field travels through the checkpoint and comes back on resume.
  auto resumed_model = models::create_model("lenet300", {2, 0});
  Trainer resumed(resumed_model, options);
  resumed.resume(models::read_checkpoint(options.checkpoint_path), options.checkpoint_path);
  const auto more = resumed.fit(separable(128));
  EXPECT_FALSE(more.stopped_early);
  ASSERT_EQ(more.history.size(), 5u);
  EXPECT_DOUBLE_EQ(more.history[1].extra.at("robust").get<double>(), 0.5);
  EXPECT_FALSE(more.history[2].extra.contains("robust"));
}

TEST(Trainer, CombinedHooksRunBothInOrderAndRefuseTwoLosses) {
  std::string calls;
  TrainHooks a, b;
  a.after_step = [&](models::Classifier&) { calls += "a"; };
  b.after_step = [&](models::Classifier&) { calls += "b"; };
  a.after_epoch = [&](models::Classifier&, EpochMetrics&) { return true; };
  b.after_epoch = [&](models::Classifier&, EpochMetrics&) { return false; };
  b.loss = [](const torch::Tensor& logits, const torch::Tensor&, const torch::Tensor&) {
    return logits.sum();
  };
  auto both = combine_hooks(a, b);
  auto model = models::create_model("lenet300", {3, 0});
  both.after_step(model);
  EXPECT_EQ(calls, "ab");
  EpochMetrics metrics;
  EXPECT_FALSE(both.after_epoch(model, metrics));  // either stops training
  EXPECT_TRUE(both.loss);                          // the one loss is kept
  EXPECT_FALSE(both.after_backward);
  EXPECT_THROW(combine_hooks(b, b), std::invalid_argument);
}

TEST(Trainer, EpochMetricsSurviveJson) {
  EpochMetrics m;
  m.epoch = 3;
  m.test_accuracy = 0.875;
  m.extra["holdout_robust_accuracy"] = 0.5;
  const auto back = EpochMetrics::from_json(m.to_json());
  EXPECT_EQ(back.epoch, 3);
  EXPECT_DOUBLE_EQ(back.test_accuracy, 0.875);
  EXPECT_EQ(back.extra, m.extra);
}

TEST(Trainer, RejectsBadOptions) {
  auto model = models::create_model("lenet300");
  TrainOptions bad;
  bad.epochs = 0;
  EXPECT_THROW(Trainer(model, bad), core::OptionError);
  bad = {};
  bad.optimizer = "rmsprop-ish";
  EXPECT_THROW(Trainer(model, bad), core::OptionError);
  bad = {};
  bad.schedule = "linear";
  EXPECT_THROW(Trainer(model, bad), core::OptionError);
  bad = {};
  bad.lr = 0;
  EXPECT_THROW(Trainer(model, bad), core::OptionError);
}

TEST(Trainer, OptionsSurviveJson) {
  TrainOptions o;
  o.epochs = 7;
  o.optimizer = "sgd";
  o.lr = 0.05;
  o.schedule = "cosine";
  o.augment = true;
  o.seed = 123;
  const auto back = Trainer::options_from_json(Trainer::options_to_json(o));
  EXPECT_EQ(back.epochs, 7);
  EXPECT_EQ(back.optimizer, "sgd");
  EXPECT_DOUBLE_EQ(back.lr, 0.05);
  EXPECT_EQ(back.schedule, "cosine");
  EXPECT_TRUE(back.augment);
  EXPECT_EQ(back.seed, 123);
}

TEST(Trainer, AugmentShiftsAndFlipsWithinTheImage) {
  torch::manual_seed(3);
  const auto images = torch::rand({16, 1, 28, 28});
  const auto out = augment_batch(images, 2);
  EXPECT_EQ(out.sizes(), images.sizes());
  // Each output is a shifted (and maybe flipped) copy: its centre 24x24 appears in the input.
  for (int i = 0; i < 16; ++i) {
    bool found = false;
    for (int dy = -2; dy <= 2 && !found; ++dy) {
      for (int dx = -2; dx <= 2 && !found; ++dx) {
        for (bool flip : {false, true}) {
          auto src = flip ? images[i].flip({2}) : images[i];
          auto a = out[i].slice(1, 2, 26).slice(2, 2, 26);
          auto b = src.slice(1, 2 + dy, 26 + dy).slice(2, 2 + dx, 26 + dx);
          if (torch::equal(a, b)) found = true;
        }
      }
    }
    EXPECT_TRUE(found) << "image " << i;
  }
}

TEST(Evaluate, ConfusionMatrixAndPerClassAccuracy) {
  auto model = models::create_model("lenet300", {3, 0});
  data::Dataset d;
  d.images = torch::rand({30, 1, 28, 28});
  d.labels = torch::arange(30, torch::kLong) % 3;
  const auto r = evaluate(model, d, {8, false, "t"});
  EXPECT_EQ(r.count, 30);
  EXPECT_EQ(r.confusion.sum().item<std::int64_t>(), 30);
  EXPECT_EQ(r.confusion.sum(1)[0].item<std::int64_t>(), 10);
  const auto logits = predict_logits(model, d.images, 7);
  const auto correct = logits.argmax(1).eq(d.labels).sum().item<double>();
  EXPECT_DOUBLE_EQ(r.accuracy, correct / 30.0);
  EXPECT_EQ(r.per_class_accuracy.size(), 3u);
  const auto expected_loss = torch::nn::functional::cross_entropy(logits, d.labels).item<double>();
  EXPECT_NEAR(r.loss, expected_loss, 1e-5);
}

}  // namespace nnlab::train
