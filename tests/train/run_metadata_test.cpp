#include "nnlab/train/run_metadata.h"

#include <gtest/gtest.h>

namespace nnlab::train {
namespace {

TEST(RunMetadata, SurvivesACheckpointsMetadata) {
  RunMetadata record;
  record.data = "idx:fm";
  record.limit = 500;
  record.dropout = 0.25;
  record.adversarial = nlohmann::json{{"method", "pgd"}, {"epsilon", 0.03}, {"holdout", 100}};
  record.distillation = DistillationRecord{"teacher.ckpt", "vgg", 2.5, 0.7};
  nlohmann::json meta = {{"epoch", 3}};
  write_run_metadata(record, meta);
  // The keys of docs/FORMAT.md, the others left as they were.
  EXPECT_EQ(meta["epoch"], 3);
  EXPECT_EQ(meta["data"], "idx:fm");
  EXPECT_EQ(meta["limit"], 500);
  EXPECT_EQ(meta["dropout"], 0.25);
  EXPECT_EQ(meta["adversarial"]["holdout"], 100);
  EXPECT_EQ(meta["distillation"], (nlohmann::json{{"teacher", "teacher.ckpt"},
                                                  {"teacher_arch", "vgg"},
                                                  {"temperature", 2.5},
                                                  {"alpha", 0.7}}));

  const auto back = read_run_metadata(meta);
  EXPECT_EQ(back.data, "idx:fm");
  EXPECT_EQ(back.limit, 500);
  EXPECT_EQ(back.dropout, 0.25);
  EXPECT_EQ(back.adversarial, record.adversarial);
  ASSERT_TRUE(back.distillation);
  EXPECT_EQ(back.distillation->teacher, "teacher.ckpt");
  EXPECT_EQ(back.distillation->teacher_arch, "vgg");
  EXPECT_EQ(back.distillation->temperature, 2.5);
  EXPECT_EQ(back.distillation->alpha, 0.7);
}

TEST(RunMetadata, APlainRunWritesNoOptionalKeysAndAbsentKeysKeepTheDefaults) {
  nlohmann::json meta = nlohmann::json::object();
  write_run_metadata(RunMetadata{}, meta);
  EXPECT_EQ(meta, (nlohmann::json{{"data", "fashion-mnist"}, {"limit", 0}}));

  const auto empty = read_run_metadata(nlohmann::json::object());
  EXPECT_EQ(empty.data, "fashion-mnist");
  EXPECT_EQ(empty.limit, 0);
  EXPECT_FALSE(empty.dropout);
  EXPECT_FALSE(empty.adversarial);
  EXPECT_FALSE(empty.distillation);
  // A distillation record with only its teacher: the loss's defaults.
  const auto partial = read_run_metadata({{"distillation", {{"teacher", "t.pth"}}}});
  ASSERT_TRUE(partial.distillation);
  EXPECT_EQ(partial.distillation->teacher_arch, "");
  EXPECT_EQ(partial.distillation->temperature, 4.0);
  EXPECT_EQ(partial.distillation->alpha, 0.9);
}

}  // namespace
}  // namespace nnlab::train
