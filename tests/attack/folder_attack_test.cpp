#include "nnlab/attack/folder_attack.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "attack/folder_testing.h"
#include "nnlab/core/error.h"

namespace nnlab::attack::testing {
namespace {

namespace fs = std::filesystem;

TEST(FolderAttack, WritesEveryImageUnderItsNameAndReportsWhatWasWritten) {
  ScratchDir dir;
  const auto batch = make_batch(8, 61);
  write_task_folder(dir / "in", batch);
  FolderAttackOptions options;
  options.input = dir / "in";
  options.sweep.method = "fgsm";
  options.sweep.epsilons = {16};
  options.sweep.output = dir / "out";
  options.sweep.progress = false;
  const auto result = run_folder_attack(trained_model(), options);

  EXPECT_EQ(result.clean.files, file_names(8));
  EXPECT_TRUE(result.clean.images.equal(batch.images));
  EXPECT_TRUE(result.clean.labels.equal(batch.labels));
  ASSERT_EQ(result.sweep.runs.size(), 1u);
  std::vector<std::string> written;
  for (const auto& name : file_names(8)) written.push_back(options.sweep.output + "/" + name);
  // One budget: the images straight in the output folder, beside metrics.json.
  EXPECT_TRUE(fs::exists(options.sweep.output + "/metrics.json"));
  EXPECT_FALSE(fs::exists(options.sweep.output + "/curve.csv"));
  const auto& scores = result.sweep.runs[0].scores;
  EXPECT_DOUBLE_EQ(scores.adversarial_accuracy, accuracy_of_files(written, batch.labels));
  EXPECT_DOUBLE_EQ(
      scores.clean_accuracy,
      predicted(batch.images).eq(batch.labels).to(torch::kFloat64).mean().item<double>());
  EXPECT_LE(scores.max_linf, 16 + 1e-6);
  EXPECT_FALSE(result.sweep.targets.defined());
}

TEST(FolderAttack, GivenTargetsComeFromTargetClass) {
  ScratchDir dir;
  const auto batch = make_batch(6, 67);
  write_task_folder(dir / "in", batch);
  FolderAttackOptions options;
  options.input = dir / "in";
  options.sweep.method = "ifgsm";
  options.sweep.attack.steps = 2;
  options.sweep.target = "given";
  options.sweep.output = dir / "out";
  options.sweep.progress = false;
  const auto result = run_folder_attack(trained_model(), options);
  EXPECT_TRUE(result.sweep.targets.equal((batch.labels + 1).remainder(kClasses)));

  // Without a TargetClass column: the labels file is named.
  write_task_folder(dir / "untargeted", batch, /*targets=*/false);
  options.input = dir / "untargeted";
  try {
    run_folder_attack(trained_model(), options);
    ADD_FAILURE() << "expected a FileError";
  } catch (const core::FileError& e) {
    EXPECT_EQ(e.path(), dir / "untargeted/labels.csv");
  }
}

TEST(FolderAttack, RefusesToWriteOverTheInput) {
  ScratchDir dir;
  write_task_folder(dir / "in", make_batch(2, 71));
  for (const auto& output : {dir / "in", dir / "in/images", dir / "in/../in"}) {
    FolderAttackOptions options;
    options.input = dir / "in";
    options.sweep.output = output;
    options.sweep.progress = false;
    try {
      run_folder_attack(trained_model(), options);
      ADD_FAILURE() << output;
    } catch (const core::OptionError& e) {
      EXPECT_NE(std::string(e.what()).find("AttackSweepOptions.output"), std::string::npos)
          << e.what();
    }
  }
  EXPECT_TRUE(fs::exists(dir / "in/images/000.png"));
  EXPECT_TRUE(same_folder(dir / "in", dir / "in/."));
  EXPECT_FALSE(same_folder(dir / "in", dir / "out"));
}

}  // namespace
}  // namespace nnlab::attack::testing
