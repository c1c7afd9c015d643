// nnlab attack on a folder in the task layout: 20 random 224x224 PNGs labelled with the model's
// own predictions. Outputs keep names and sizes, stay inside the budget exactly, and the reported
// metrics equal those recomputed from the files.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "cli/cli_test_util.h"
#include "nnlab/attack/metrics.h"
#include "nnlab/data/csv.h"
#include "nnlab/data/image_io.h"
#include "nnlab/models/checkpoint.h"
#include "nnlab/models/registry.h"
#include "nnlab/train/evaluate.h"

namespace nnlab::testing {
namespace fs = std::filesystem;

namespace {

struct TaskFolder {
  std::string dir, model_path;
  torch::Tensor images, labels;
  std::vector<std::string> files;
};

const TaskFolder& task_folder() {
  static const TaskFolder folder = [] {
    TaskFolder f;
    f.dir = scratch_dir("attack_task");
    torch::manual_seed(0);
    auto model = models::create_model("resnet18");
    f.model_path = f.dir + "/resnet18.ckpt";
    models::save_checkpoint(f.model_path, models::make_checkpoint(model));
    fs::create_directories(f.dir + "/in/images");
    std::vector<torch::Tensor> read;
    for (int i = 0; i < 20; ++i) {
      char name[16];
      std::snprintf(name, sizeof(name), "%03d.png", i);
      f.files.push_back(name);
      data::save_image(f.dir + "/in/images/" + name, torch::rand({3, 224, 224}));
      read.push_back(data::load_image(f.dir + "/in/images/" + name));
    }
    f.images = torch::stack(read);
    f.labels = train::predict_logits(model, f.images).argmax(1);
    std::ofstream labels(f.dir + "/in/labels.csv");
    labels << "ImgId,TrueLabel,TargetClass\n";
    for (int i = 0; i < 20; ++i) {
      labels << f.files[static_cast<size_t>(i)].substr(0, 3) << ","
             << f.labels[i].item<std::int64_t>() << ","
             << (f.labels[i].item<std::int64_t>() + 1) % 1000 << "\n";
    }
    return f;
  }();
  return folder;
}

}  // namespace

TEST(AttackCommand, FolderOutputsAreInsideTheBudgetAndMetricsMatchTheFiles) {
  const auto& f = task_folder();
  const auto out = f.dir + "/out_fgsm";
  const auto r = run_nnlab("attack --method fgsm --model " + f.model_path + " --input " + f.dir +
                           "/in --output " + out + " --epsilon 4 --json -q");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto reported = nlohmann::json::parse(r.out);
  EXPECT_DOUBLE_EQ(reported["clean_accuracy"].get<double>(), 1.0);

  std::vector<torch::Tensor> saved;
  data::ImageLoadOptions keep;
  keep.height = 0;
  keep.width = 0;
  for (size_t i = 0; i < f.files.size(); ++i) {
    const auto path = out + "/" + f.files[i];
    ASSERT_TRUE(fs::exists(path)) << path;
    const auto image = data::load_image(path, keep);
    ASSERT_EQ(image.sizes(), torch::IntArrayRef({3, 224, 224}));
    const auto diff =
        (image * 255).round() - (f.images[static_cast<std::int64_t>(i)] * 255).round();
    EXPECT_LE(diff.abs().max().item<float>(), 4.0f) << f.files[i];
    saved.push_back(image);
  }
  auto model =
      models::classifier_from_checkpoint(models::read_checkpoint(f.model_path), f.model_path);
  const auto scores = attack::score_attack(model, f.images, torch::stack(saved), f.labels, f.files);
  for (const char* key : {"clean_accuracy", "adversarial_accuracy", "success_rate", "mean_linf",
                          "max_linf", "mean_l2"}) {
    EXPECT_NEAR(reported[key].get<double>(), scores.to_json()[key].get<double>(), 1e-9) << key;
  }
  EXPECT_LE(reported["max_linf"].get<double>(), 4.0);
  EXPECT_GT(reported["success_rate"].get<double>(), 0.0);
  const auto metrics = nlohmann::json::parse(std::ifstream(out + "/metrics.json"));
  EXPECT_DOUBLE_EQ(metrics["success_rate"].get<double>(), reported["success_rate"].get<double>());
  const auto rows = data::CsvTable::read(out + "/per_image.csv");
  ASSERT_EQ(rows.rows().size(), 20u);
  const auto adv_col = rows.require_column("adversarial_prediction");
  for (size_t i = 0; i < 20; ++i) {
    EXPECT_EQ(rows.rows()[i][0], f.files[i]);
    EXPECT_EQ(std::stoll(rows.rows()[i][adv_col]), scores.images[i].adversarial_prediction);
  }
}

// The peak resident set in the result and in metrics.json, and the allocator in the provenance:
// the jemalloc the binary links, with the settings app/malloc_conf.cpp gives it, where CMake found
// jemalloc (NNLAB_JEMALLOC_LINKED), else the system's.
TEST(AttackCommand, ReportsItsPeakMemoryAndItsAllocator) {
  const auto& f = task_folder();
  const auto out = f.dir + "/out_peak";
  const auto r = run_nnlab("attack --method fgsm --model " + f.model_path + " --input " + f.dir +
                           "/in --output " + out + " --epsilon 2 --json -q");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto reported = nlohmann::json::parse(r.out);
  const double peak = reported.at("peak_memory_mb").get<double>();
  EXPECT_GT(peak, 44.6);  // at least resnet18's weights (11.7 M float32 parameters)
  EXPECT_LT(peak, 64 * 1024);
  const auto metrics = nlohmann::json::parse(read_text(out + "/metrics.json"));
  const double peak_at_metrics = metrics.at("peak_memory_mb").get<double>();
  EXPECT_GT(peak_at_metrics, 44.6);
  EXPECT_LE(peak_at_metrics, peak);  // written before the end; the peak never decreases
  const auto allocator = reported["provenance"].at("allocator").get<std::string>();
#ifdef NNLAB_JEMALLOC_LINKED
  EXPECT_EQ(allocator.rfind("jemalloc ", 0), 0u) << allocator;
  if (std::getenv("MALLOC_CONF") == nullptr) {
    EXPECT_NE(allocator.find("dirty_decay_ms:-1,muzzy_decay_ms:-1"), std::string::npos)
        << allocator;
  }
#else
  EXPECT_FALSE(allocator.empty());
#endif
}

TEST(AttackCommand, TargetedPgdUsesTargetClass) {
  const auto& f = task_folder();
  const auto r =
      run_nnlab("attack --method pgd --steps 5 --target given --model " + f.model_path +
                " --input " + f.dir + "/in --output " + f.dir + "/out_pgd --epsilon 8 --json -q");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto rows = data::CsvTable::read(f.dir + "/out_pgd/per_image.csv");
  int hit = 0;
  for (size_t i = 0; i < rows.rows().size(); ++i) {
    hit += std::stoll(rows.rows()[i][3]) ==
           (f.labels[static_cast<std::int64_t>(i)].item<std::int64_t>() + 1) % 1000;
  }
  EXPECT_GE(hit, 10) << "targeted PGD should reach the target class on most images";
}

TEST(AttackCommand, BadInput) {
  const auto& f = task_folder();
  const std::string base = "attack --model " + f.model_path + " -q ";
  // missing labels.csv
  const auto no_labels = scratch_dir("attack_nolabels");
  fs::create_directories(no_labels + "/images");
  fs::copy_file(f.dir + "/in/images/000.png", no_labels + "/images/000.png");
  expect_clean_error(run_nnlab(base + "--input " + no_labels + " --output " + no_labels + "_out"),
                     "labels.csv");
  // a label out of range
  const auto bad_label = scratch_dir("attack_badlabel");
  fs::create_directories(bad_label + "/images");
  fs::copy_file(f.dir + "/in/images/000.png", bad_label + "/images/000.png");
  std::ofstream(bad_label + "/labels.csv") << "ImgId,TrueLabel\n000,1000\n";
  expect_clean_error(run_nnlab(base + "--input " + bad_label + " --output " + bad_label + "_out"),
                     "1000");
  // an image of another size: refused, not resized
  const auto small = scratch_dir("attack_small");
  fs::create_directories(small + "/images");
  data::save_image(small + "/images/000.png", torch::rand({3, 100, 120}));
  std::ofstream(small + "/labels.csv") << "ImgId,TrueLabel\n000,1\n";
  expect_clean_error(run_nnlab(base + "--input " + small + " --output " + small + "_out"),
                     "000.png");
  // epsilon out of range, unknown method, output folder = input folder
  expect_clean_error(
      run_nnlab(base + "--input " + f.dir + "/in --output " + f.dir + "/o1 --epsilon -1"),
      "--epsilon");
  expect_clean_error(
      run_nnlab(base + "--input " + f.dir + "/in --output " + f.dir + "/o2 --epsilon 300"),
      "--epsilon");
  expect_clean_error(
      run_nnlab(base + "--input " + f.dir + "/in --output " + f.dir + "/o3 --method fgsmx"),
      "fgsmx");
  expect_clean_error(run_nnlab(base + "--input " + f.dir + "/in --output " + f.dir + "/in"),
                     "--output");
  EXPECT_FALSE(fs::exists(f.dir + "/o1"));
}

// HopSkipJump from the command line: a run on a few images, and a query budget of 0 refused with
// the flag's name.
TEST(AttackCommand, HopSkipJumpRunsAndRefusesAZeroQueryBudget) {
  const auto dir = trained_lenet300("attack_hsj", 1);
  const std::string base = "attack --model " + dir + "/d.ckpt --data idx:" + dir +
                           "/data --limit 4 --method hsj --norm l2 --epsilon 255";
  expect_clean_error(run_nnlab("-q " + base + " --max-queries 0"), "--max-queries", "> 0");
  const auto run = run_nnlab("-q --json " + base + " --max-queries 200");
  ASSERT_EQ(run.exit_code, 0) << run.err;
  const auto json = nlohmann::json::parse(run.out);
  EXPECT_EQ(json["method"], "hsj");
  EXPECT_EQ(json["images"], 4);
}

TEST(AttackCommand, SquareRefusesAnEmptyQueryBudget) {
  const auto& f = task_folder();
  const std::string base = "attack --model " + f.model_path + " -q --input " + f.dir +
                           "/in --output " + f.dir + "/square --method square ";
  expect_clean_error(run_nnlab(base + "--queries 0"), "--queries");
  expect_clean_error(run_nnlab(base + "--queries -3"), "--queries");
  expect_clean_error(run_nnlab(base + "--p-init 0"), "--p-init");
  EXPECT_FALSE(fs::exists(f.dir + "/square"));
}

TEST(AttackCommand, FabTRefusesMoreTargetsThanWrongClasses) {
  // A 10-class model has 9 wrong classes to aim at.
  const auto dir = trained_lenet300("attack_fab_targets", 1);
  const std::string base = "attack -q --model " + dir + "/d.ckpt --data idx:" + dir +
                           "/data --limit 4 --steps 1 --method fab-t ";
  expect_clean_error(run_nnlab(base + "--target-classes 10"), "--target-classes", "classes");
  EXPECT_EQ(run_nnlab(base + "--target-classes 9").exit_code, 0);
}

}  // namespace nnlab::testing
