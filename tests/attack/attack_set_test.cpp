#include "nnlab/attack/attack_set.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <stdexcept>

#include "attack_testing.h"
#include "nnlab/attack/auto_attack.h"
#include "nnlab/attack/pgd.h"
#include "nnlab/attack/registry.h"

namespace nnlab::attack {

using namespace testing;

namespace {

AttackSetOptions quiet(std::int64_t batch_size) {
  AttackSetOptions options;
  options.batch_size = batch_size;
  options.progress = false;
  return options;
}

// Another attack behind it, which records the keys of the images it is given and fails (as a
// killed process stops) on its call number fail_at (0: never).
struct Recorded : Attack {
  Recorded(Attack& inner, int fail_at) : inner_(inner), fail_at_(fail_at) {}
  std::string name() const override { return inner_.name(); }
  std::vector<std::string> stage_names() const override { return inner_.stage_names(); }
  bool reports_clean_logits() const override { return inner_.reports_clean_logits(); }
  AttackResult attack(models::Classifier& model, const torch::Tensor& images,
                      const torch::Tensor& labels, bool verdict) override {
    if (++calls_ == fail_at_) throw std::runtime_error("killed");
    for (std::int64_t i = 0; i < image_keys_.numel(); ++i)
      keys.push_back(image_keys_[i].item<std::int64_t>());
    inner_.set_image_keys(image_keys_);
    return inner_.attack(model, images, labels, verdict);
  }
  Attack& inner_;
  int fail_at_;
  int calls_ = 0;
  std::vector<std::int64_t> keys;
};

}  // namespace

TEST(AttackSet, MisclassifiedImagesComeBackUnchangedAndCleanLogitsAreTheModels) {
  const auto batch = make_batch(30, 85);
  // Some labels wrong on purpose: those images are not attacked.
  auto labels = batch.labels.clone();
  labels.slice(0, 0, 10).add_(1).remainder_(kClasses);
  AttackOptions options;
  options.epsilon = 0.1;
  options.steps = 3;
  Pgd pgd(options);
  const auto result = attack_set(pgd, trained_model(), batch.images, labels, {}, quiet(7));
  const auto clean_logits = logits_of(trained_model(), batch.images);
  EXPECT_TRUE(torch::allclose(result.clean_logits, clean_logits, 1e-5, 1e-6));
  const auto wrong = clean_logits.argmax(1).ne(labels);
  ASSERT_TRUE(wrong.any().item<bool>());
  const auto rows = wrong.nonzero().flatten();
  EXPECT_TRUE(
      torch::equal(result.adversarial.index_select(0, rows), batch.images.index_select(0, rows)));
  EXPECT_LE((result.adversarial - batch.images).abs().max().item<double>(), 0.1 + 1e-6);
}

TEST(AttackSet, AShardWithItsFirstKeyDrawsWhatTheWholeSetDraws) {
  const auto batch = correct_batch(24, 86);
  const auto n = batch.labels.size(0);
  AttackOptions options;
  options.epsilon = 0.05;
  options.steps = 2;
  options.seed = 4;
  Pgd pgd(options);
  const auto whole = attack_set(pgd, trained_model(), batch.images, batch.labels, {}, quiet(5));
  const auto half = n / 2;
  auto second_options = quiet(5);
  second_options.first_key = half;
  const auto second = attack_set(pgd, trained_model(), batch.images.slice(0, half),
                                 batch.labels.slice(0, half), {}, second_options);
  EXPECT_TRUE(torch::equal(second.adversarial, whole.adversarial.slice(0, half)));
}

// A run that fails half-way leaves its progress; the same run again attacks only the images it
// had not finished and ends exactly as an uninterrupted run. Another run ignores the file.
TEST(AttackSet, AKilledRunResumesFromItsProgressAndEndsAsAnUninterruptedRun) {
  const auto batch = make_batch(40, 87);
  AttackSettings settings;
  settings.epsilon = 0.08;
  settings.seed = 2;
  settings.autoattack.version = "custom";
  settings.autoattack.attacks = {"apgd", "pgd"};
  settings.autoattack.steps = 3;
  settings.steps = 3;
  // AutoAttack: its clean logits and stages are part of what is saved.
  AutoAttack autoattack(settings);
  const auto whole =
      attack_set(autoattack, trained_model(), batch.images, batch.labels, {}, quiet(8));

  const auto file = std::filesystem::temp_directory_path() /
                    ("nnlab_progress_" + std::to_string(::getpid()) + ".pt");
  auto options = quiet(8);
  options.progress_file = file.string();
  options.progress_key = "test run";
  options.save_every = 0;  // after every batch
  Recorded killed(autoattack, /*fail_at=*/4);
  EXPECT_THROW(attack_set(killed, trained_model(), batch.images, batch.labels, {}, options),
               std::runtime_error);
  ASSERT_TRUE(std::filesystem::exists(file));
  ASSERT_EQ(killed.keys.size(), 24u);  // three batches of 8 done

  Recorded resumed(autoattack, 0);
  const auto again = attack_set(resumed, trained_model(), batch.images, batch.labels, {}, options);
  ASSERT_FALSE(resumed.keys.empty());
  EXPECT_EQ(resumed.keys.front(), 24);
  EXPECT_EQ(resumed.keys.size(), 16u);
  EXPECT_TRUE(torch::equal(again.adversarial, whole.adversarial));
  EXPECT_TRUE(torch::equal(again.stage, whole.stage));
  EXPECT_TRUE(torch::allclose(again.clean_logits, whole.clean_logits));
  EXPECT_FALSE(std::filesystem::exists(file)) << "a finished run removes its progress";

  // A progress file of another run (here: another key) is not resumed.
  Recorded killed_again(autoattack, 2);
  EXPECT_THROW(attack_set(killed_again, trained_model(), batch.images, batch.labels, {}, options),
               std::runtime_error);
  options.progress_key = "another run";
  Recorded fresh(autoattack, 0);
  attack_set(fresh, trained_model(), batch.images, batch.labels, {}, options);
  EXPECT_EQ(fresh.keys.size(), 40u);
}

}  // namespace nnlab::attack
