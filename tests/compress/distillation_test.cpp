#include "nnlab/compress/distillation.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>

#include "nnlab/core/error.h"
#include "nnlab/models/registry.h"

namespace nnlab::compress {

TEST(Distillation, LossByHand) {
  // One sample, two classes. Student logits (0, 0), teacher (2, 0), T = 2, label 0.
  const auto student = torch::tensor({{0.0f, 0.0f}});
  const auto teacher = torch::tensor({{2.0f, 0.0f}});
  const auto label = torch::tensor({0}, torch::kLong);
  DistillationOptions o;
  o.temperature = 2;
  o.alpha = 0.75;
  const double p = std::exp(1.0) / (std::exp(1.0) + 1.0);  // softmax(2/2, 0/2)[0]
  const double kl = p * std::log(p / 0.5) + (1 - p) * std::log((1 - p) / 0.5);
  const double ce = std::log(2.0);
  EXPECT_NEAR(distillation_loss(student, teacher, label, o).item<double>(),
              0.75 * 4 * kl + 0.25 * ce, 1e-6);
  // alpha 0 is plain cross-entropy; a student equal to its teacher has no soft loss.
  o.alpha = 0;
  EXPECT_NEAR(distillation_loss(student, teacher, label, o).item<double>(), ce, 1e-6);
  o.alpha = 1;
  EXPECT_NEAR(distillation_loss(teacher, teacher, label, o).item<double>(), 0.0, 1e-6);
}

TEST(Distillation, GradientsReachTheStudentOnly) {
  torch::manual_seed(0);
  auto teacher = models::create_model("lenet5");
  auto student = models::create_model("lenet300");
  Distillation distillation(teacher, {});
  auto hooks = distillation.hooks();
  const auto images = torch::rand({4, 1, 28, 28});
  const auto labels = torch::tensor({0, 1, 2, 3}, torch::kLong);
  student.train();
  hooks.loss(student.forward(images), labels, images).backward();
  for (const auto& p : student.parameters()) EXPECT_TRUE(p.grad().defined());
  for (const auto& p : teacher.parameters()) EXPECT_FALSE(p.grad().defined());
  EXPECT_FALSE(teacher.is_training());
}

TEST(Distillation, CachedTeacherLogitsGiveTheSameLossAsRunningTheTeacher) {
  torch::manual_seed(1);
  auto teacher = models::create_model("cnn");
  auto student = models::create_model("lenet300");
  const auto train_images = torch::rand({40, 1, 28, 28});
  const auto labels = torch::randint(0, 10, {40}, torch::kLong);
  const auto index = torch::tensor({3, 17, 0, 39, 8}, torch::kLong);
  const auto images = train_images.index_select(0, index);
  student.eval();
  const auto logits = student.forward(images);

  Distillation live(teacher, {});
  const auto expected = live.hooks().loss(logits, labels.index_select(0, index), images);
  Distillation cached(teacher, {});
  cached.cache_teacher_logits(train_images, /*batch_size=*/16);
  auto hooks = cached.hooks();
  ASSERT_TRUE(hooks.before_batch);
  hooks.before_batch(index);
  // The images passed are ignored with a cache: zeros would give another loss if they were used.
  const auto got = hooks.loss(logits, labels.index_select(0, index), torch::zeros_like(images));
  EXPECT_NEAR(got.item<double>(), expected.item<double>(), 1e-5);
}

TEST(Distillation, RejectsBadOptions) {
  auto teacher = models::create_model("lenet5");
  EXPECT_THROW(Distillation(teacher, {0.0, 0.5}), core::OptionError);
  EXPECT_THROW(Distillation(teacher, {4.0, 1.5}), core::OptionError);
}

}  // namespace nnlab::compress
