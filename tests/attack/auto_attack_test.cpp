// AutoAttack: its sequencing (a stage attacks only what every earlier stage failed on, and an
// image the model already misclassifies is attacked by none), what it returns per image, the
// versions' stages, its errors, and on a trained model: at least as strong as its first stage
// alone, its verdict that of the model, independent of the batching.
#include "nnlab/attack/auto_attack.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <set>
#include <string>
#include <vector>

#include "attack/attack_testing.h"
#include "nnlab/attack/stage_scores.h"
#include "nnlab/core/error.h"

namespace nnlab::attack {
namespace {

using testing::correct_batch;
using testing::trained_model;

// A stage that records the image keys it was given and "breaks" the images whose key is in
// `breaks`: it returns them shifted by `mark` (so that the test sees whose image came back)
// and reports success for exactly those.
struct RecordingAttack : Attack {
  RecordingAttack(std::set<std::int64_t> breaks, float mark, std::vector<std::int64_t>* seen)
      : breaks_(std::move(breaks)), mark_(mark), seen_(seen) {}
  std::string name() const override { return "recording"; }
  AttackResult attack(models::Classifier& /*model*/, const torch::Tensor& images,
                      const torch::Tensor& /*labels*/, bool verdict) override {
    EXPECT_TRUE(image_keys_.defined());
    auto success = torch::zeros({images.size(0)}, torch::kBool);
    for (std::int64_t i = 0; i < images.size(0); ++i) {
      const auto key = image_keys_[i].item<std::int64_t>();
      seen_->push_back(key);
      if (breaks_.count(key)) success[i] = true;
    }
    AttackResult out;
    out.images = (images + mark_).clamp(0, 1);
    if (verdict) out.success = success;
    return out;
  }
  std::set<std::int64_t> breaks_;
  float mark_;
  std::vector<std::int64_t>* seen_;
};

struct Recorded {
  std::vector<std::int64_t> first, second;
};

// Registers "test-first" (breaks keys 1 and 4, marks +0.25) and "test-second" (breaks key 2 and
// would break 4 again, marks +0.5) for the life of the object.
struct RecordingStages {
  RecordingStages() {
    register_attack("test-first", {"test", {}, [this](const AttackSettings&) {
                                     return std::make_unique<RecordingAttack>(
                                         std::set<std::int64_t>{1, 4}, 0.25f, &seen.first);
                                   }});
    register_attack("test-second", {"test", {}, [this](const AttackSettings&) {
                                      return std::make_unique<RecordingAttack>(
                                          std::set<std::int64_t>{2, 4}, 0.5f, &seen.second);
                                    }});
  }
  ~RecordingStages() {
    unregister_attack("test-first");
    unregister_attack("test-second");
  }
  Recorded seen;
};

std::vector<std::int64_t> values(const torch::Tensor& t) {
  const auto c = t.to(torch::kLong).contiguous();
  return {c.data_ptr<std::int64_t>(), c.data_ptr<std::int64_t>() + c.numel()};
}

AttackSettings custom(std::vector<std::string> attacks) {
  AttackSettings settings;
  settings.autoattack.version = "custom";
  settings.autoattack.attacks = std::move(attacks);
  return settings;
}

TEST(AutoAttack, EachStageAttacksOnlyWhatEveryEarlierStageFailedOn) {
  RecordingStages stages;
  auto batch = correct_batch(64, 11);
  ASSERT_GE(batch.images.size(0), 6);
  auto images = batch.images.slice(0, 0, 6).clone();
  auto labels = batch.labels.slice(0, 0, 6).clone();
  // Image 5 is misclassified from the start: no stage may attack it.
  labels[5] = (labels[5].item<std::int64_t>() + 1) % testing::kClasses;
  AutoAttack attack(custom({"test-first", "test-second"}));
  attack.set_image_keys(torch::arange(6, torch::kLong));
  const auto out = attack.run_with_report(trained_model(), images, labels);

  EXPECT_EQ(stages.seen.first, (std::vector<std::int64_t>{0, 1, 2, 3, 4}));
  EXPECT_EQ(stages.seen.second, (std::vector<std::int64_t>{0, 2, 3}));  // not 1 and 4, nor 5
  EXPECT_EQ(values(out.stage), (std::vector<std::int64_t>{-1, 0, 1, -1, 0, -1}));
  EXPECT_EQ(values(out.success), (std::vector<std::int64_t>{0, 1, 1, 0, 1, 1}));
  // Broken by the first stage: its image; by the second: the second's; unbroken: the first
  // stage's worst case; misclassified: the clean image.
  const auto shift = [&](std::int64_t i) {
    return (out.images[i] - images[i]).abs().max().item<float>();
  };
  for (std::int64_t i : {0, 1, 3, 4}) {
    EXPECT_TRUE(torch::allclose(out.images[i], (images[i] + 0.25f).clamp(0, 1))) << i;
  }
  EXPECT_TRUE(torch::allclose(out.images[2], (images[2] + 0.5f).clamp(0, 1)));
  EXPECT_EQ(shift(5), 0.0f);
  EXPECT_EQ(attack.stage_names(), (std::vector<std::string>{"test-first", "test-second"}));
  EXPECT_EQ(attack.stage_seconds().size(), 2u);
}

TEST(AutoAttack, VersionsRunTheReferenceStages) {
  AttackSettings settings;
  const auto standard = auto_attack_stages(settings);
  std::vector<std::string> labels, methods;
  for (const auto& s : standard) {
    labels.push_back(s.label);
    methods.push_back(s.method);
  }
  EXPECT_EQ(labels, (std::vector<std::string>{"apgd-ce", "apgd-t", "fab-t", "square"}));
  EXPECT_EQ(methods, (std::vector<std::string>{"apgd", "apgd-t", "fab-t", "square"}));
  EXPECT_EQ(standard[0].settings->steps, 100);
  EXPECT_EQ(standard[0].settings->loss, "ce");
  EXPECT_EQ(standard[1].settings->steps, 100);
  EXPECT_EQ(standard[2].settings->steps, 100);

  settings.autoattack.version = "rand";
  const auto rand = auto_attack_stages(settings);
  ASSERT_EQ(rand.size(), 2u);
  EXPECT_EQ(rand[0].label, "apgd-ce");
  EXPECT_EQ(rand[1].label, "apgd-dlr");
  EXPECT_EQ(rand[1].settings->loss, "dlr");
  for (const auto& s : rand) {
    EXPECT_EQ(s.method, "apgd");
    EXPECT_EQ(s.settings->apgd.eot_iter, 20);
  }
}

TEST(AutoAttack, RefusesWhatItCannotRun) {
  const auto refuses = [](const AttackSettings& settings, const std::string& option,
                          const std::string& words) {
    try {
      auto_attack_stages(settings);
      ADD_FAILURE() << "accepted, expected an error on " << option;
    } catch (const core::OptionError& e) {
      EXPECT_EQ(e.option(), option);
      EXPECT_NE(std::string(e.what()).find(words), std::string::npos) << e.what();
    }
  };
  AttackSettings unknown;
  unknown.autoattack.version = "plus-plus";
  refuses(unknown, "AutoAttackOptions.version", "plus-plus");
  refuses(custom({}), "AutoAttackOptions.attacks", "list");
  refuses(custom({"apgd", "nosuch"}), "AutoAttackOptions.attacks", "nosuch");
  refuses(custom({"autoattack"}), "AutoAttackOptions.attacks", "itself");
  AttackSettings targeted;
  targeted.targeted = true;
  refuses(targeted, "AttackOptions.targeted", "untargeted");
  AttackSettings no_steps;
  no_steps.autoattack.steps = 0;
  refuses(no_steps, "AutoAttackOptions.steps", "at least 1");
}

// On the trained model at a budget that breaks some images and not others: the sequence breaks
// at least what its first stage breaks alone, its verdict is the model's on the returned images,
// every image stays in the ball, and the result does not depend on the batch size.
TEST(AutoAttack, AtLeastAsStrongAsItsFirstStageAndIndependentOfBatching) {
  const auto batch = correct_batch(96, 21);
  AttackSettings settings = custom({"apgd", "apgd-t"});
  settings.epsilon = 0.04;
  settings.autoattack.steps = 20;
  settings.seed = 5;
  const auto keys = torch::arange(batch.images.size(0), torch::kLong);

  AutoAttack attack(settings);
  attack.set_image_keys(keys);
  const auto out = attack.run_with_report(trained_model(), batch.images, batch.labels);

  AttackSettings first = settings;
  first.steps = 20;
  auto apgd = make_attack("apgd", first);
  apgd->set_image_keys(keys);
  const auto alone = apgd->run_with_report(trained_model(), batch.images, batch.labels);
  const auto broken = out.success.sum().item<std::int64_t>();
  EXPECT_GE(broken, alone.success.sum().item<std::int64_t>());
  EXPECT_GT(broken, 0);
  EXPECT_LT(broken, batch.images.size(0)) << "choose a budget that leaves some images robust";
  // The first stage's verdicts are kept: what APGD broke alone, the sequence broke in stage 0.
  EXPECT_TRUE(out.stage.eq(0).equal(alone.success));

  EXPECT_TRUE(testing::predicted(out.images).ne(batch.labels).equal(out.success));
  EXPECT_LE((out.images - batch.images).abs().max().item<double>(), 0.04 + 1e-6);

  AttackSettings one_by_one = settings;
  one_by_one.batch_size = 7;
  AutoAttack batched(one_by_one);
  batched.set_image_keys(keys);
  const auto again = batched.run_with_report(trained_model(), batch.images, batch.labels);
  EXPECT_TRUE(again.images.equal(out.images));
  EXPECT_TRUE(again.stage.equal(out.stage));
}

TEST(StageScores, RobustAccuracyAfterEachStage) {
  AttackScores scores;
  // Images 0-4 classified correctly, 5 not; stages broke 1 (stage 0), 2 and 3 (stage 1).
  for (int i = 0; i < 6; ++i) {
    ImageScore s;
    s.label = 1;
    s.clean_prediction = i == 5 ? 2 : 1;
    scores.images.push_back(s);
  }
  const auto stage = torch::tensor({-1, 0, 1, 1, -1, -1}, torch::kLong);
  const auto table = stage_scores(scores, stage, {"a", "b", "c"}, {1.0, 2.0, 3.0});
  ASSERT_EQ(table.size(), 3u);
  EXPECT_EQ(table[0].broken, 1);
  EXPECT_DOUBLE_EQ(table[0].robust_accuracy, 4.0 / 6);
  EXPECT_EQ(table[1].broken, 2);
  EXPECT_DOUBLE_EQ(table[1].robust_accuracy, 2.0 / 6);
  EXPECT_EQ(table[2].broken, 0);
  EXPECT_DOUBLE_EQ(table[2].robust_accuracy, 2.0 / 6);
  EXPECT_DOUBLE_EQ(table[1].seconds, 2.0);

  name_breaking_stages(scores, stage, {"a", "b", "c"});
  std::vector<std::string> names;
  for (const auto& s : scores.images) names.push_back(s.broken_by);
  EXPECT_EQ(names, (std::vector<std::string>{"none", "a", "b", "b", "none", "clean"}));
  EXPECT_NE(scores.per_image_csv().find(",broken_by\n"), std::string::npos);
  EXPECT_NE(scores.per_image_csv().find(",clean\n"), std::string::npos);
}

}  // namespace
}  // namespace nnlab::attack
