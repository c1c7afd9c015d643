// Ensemble attacks (--model a,b), the transfer matrix of nnlab attack-eval, and passive defenses
// (--defense), on a tiny task-layout folder of 28x28 grey images and two LeNet-5 checkpoints.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "cli/cli_test_util.h"
#include "nnlab/core/atomic_file.h"
#include "nnlab/data/csv.h"
#include "nnlab/data/data_spec.h"
#include "nnlab/data/image_io.h"
#include "nnlab/models/checkpoint.h"
#include "nnlab/models/registry.h"
#include "nnlab/train/evaluate.h"
#include "nnlab/train/trainer.h"

namespace nnlab::testing {
namespace fs = std::filesystem;

namespace {

struct Setup {
  std::string dir, a, b;
};

// Two LeNet-5s trained briefly from different seeds on the synthetic set; the folder holds 12
// of its test images labelled with model a's predictions, so a is 100% right.
const Setup& setup() {
  static const Setup s = [] {
    Setup out;
    out.dir = scratch_dir("attack_eval");
    write_synthetic_idx(out.dir + "/data", 600, 12);
    const auto split = data::load_data("idx:" + out.dir + "/data", {});
    std::vector<models::Classifier> nets;
    for (int seed : {1, 2}) {
      torch::manual_seed(seed);
      nets.push_back(models::create_model("lenet5"));
      train::TrainOptions options;
      options.epochs = 2;
      options.progress = false;
      options.seed = seed;
      train::Trainer(nets.back(), options).fit(split);
      nets.back().eval();
      const auto path = out.dir + "/lenet5_" + std::to_string(seed) + ".ckpt";
      models::save_checkpoint(path, models::make_checkpoint(nets.back()));
      (seed == 1 ? out.a : out.b) = path;
    }
    fs::create_directories(out.dir + "/in/images");
    std::vector<torch::Tensor> read;
    for (int i = 0; i < 12; ++i) {
      const auto path = out.dir + "/in/images/" + std::to_string(100 + i) + ".png";
      data::save_image(path, split.test.images[i]);
      read.push_back(data::load_image(path, {1, 28, 28}));
    }
    const auto labels = train::predict_logits(nets[0], torch::stack(read)).argmax(1);
    std::ofstream csv(out.dir + "/in/labels.csv");
    csv << "ImgId,TrueLabel\n";
    for (int i = 0; i < 12; ++i) csv << 100 + i << "," << labels[i].item<std::int64_t>() << "\n";
    return out;
  }();
  return s;
}

}  // namespace

TEST(AttackEval, EnsembleAttackAndTransferMatrix) {
  const auto& s = setup();
  // A single-model attack and an ensemble attack on the mean loss of both models.
  const auto single = run_nnlab("attack --method pgd --steps 5 --model " + s.a + " --input " +
                                s.dir + "/in --output " + s.dir + "/adv_a --epsilon 16 --json -q");
  ASSERT_EQ(single.exit_code, 0) << single.err;
  const auto ensemble =
      run_nnlab("attack --method pgd --steps 5 --model " + s.a + "," + s.b + " --input " + s.dir +
                "/in --output " + s.dir + "/adv_ab --epsilon 16 --json -q");
  ASSERT_EQ(ensemble.exit_code, 0) << ensemble.err;
  EXPECT_EQ(nlohmann::json::parse(ensemble.out)["arch"], "lenet5+lenet5");
  EXPECT_EQ(nlohmann::json::parse(core::read_file(s.dir + "/adv_ab/metrics.json"))["arch"],
            "lenet5+lenet5");

  const auto eval = run_nnlab("attack-eval --input " + s.dir + "/adv_a," + s.dir +
                              "/adv_ab --labels " + s.dir + "/in --model " + s.a + "," + s.b +
                              " --defense median:3 --csv " + s.dir + "/transfer.csv --json -q");
  ASSERT_EQ(eval.exit_code, 0) << eval.err;
  const auto j = nlohmann::json::parse(eval.out);
  ASSERT_EQ(j["rows"].size(), 3u);
  EXPECT_EQ(j["rows"][0], "clean");
  EXPECT_EQ(j["rows"][1], "lenet5 pgd eps 16");
  ASSERT_EQ(j["columns"].size(), 4u);  // a, a behind the median filter, b, b behind it
  EXPECT_EQ(j["columns"][1], "lenet5 (lenet5_1) [median:3]");
  const auto& accuracy = j["accuracy"];
  EXPECT_DOUBLE_EQ(accuracy[0][0].get<double>(), 1.0);  // labels are a's own predictions
  // The white-box cell equals what the attack itself measured on its files.
  const auto single_json = nlohmann::json::parse(single.out);
  EXPECT_DOUBLE_EQ(accuracy[1][0].get<double>(), single_json["adversarial_accuracy"].get<double>());
  EXPECT_LT(accuracy[1][0].get<double>(), 1.0);

  const auto csv = data::CsvTable::read(s.dir + "/transfer.csv");
  EXPECT_EQ(csv.rows().size(), 3u);
  EXPECT_EQ(csv.header().size(), 5u);

  // metrics.json carries its format version; one from a newer nnlab is refused, naming both.
  auto metrics = nlohmann::json::parse(core::read_file(s.dir + "/adv_a/metrics.json"));
  EXPECT_EQ(metrics["format_version"], 1);
  EXPECT_EQ(j["format_version"], 1);  // and so does every --json output
  fs::copy(s.dir + "/adv_a", s.dir + "/adv_future",
           fs::copy_options::recursive | fs::copy_options::overwrite_existing);
  metrics["format_version"] = 2;
  core::write_text_atomically(s.dir + "/adv_future/metrics.json", metrics.dump());
  const auto future = run_nnlab("attack-eval --input " + s.dir + "/adv_future --labels " + s.dir +
                                "/in --model " + s.a + " -q");
  EXPECT_EQ(future.exit_code, 1) << future.err;
  EXPECT_EQ(line_count(future.err), 1) << future.err;
  EXPECT_NE(future.err.find("adv_future/metrics.json: nnlab attack metrics version 2 is newer "
                            "than this nnlab reads (1); upgrade nnlab"),
            std::string::npos)
      << future.err;
}

TEST(AttackEval, DefensesAreScoredByTheAttackCommand) {
  const auto& s = setup();
  const auto r = run_nnlab("attack --method fgsm --model " + s.a + " --input " + s.dir +
                           "/in --output " + s.dir +
                           "/adv_def --epsilon 16 --defense "
                           "median:3,bits:3,jpeg:50 --report " +
                           s.dir + "/report.html --json -q");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  ASSERT_EQ(j["defenses"].size(), 3u);
  EXPECT_EQ(j["defenses"][2]["defense"], "jpeg:50");
  for (const auto& d : j["defenses"]) {
    EXPECT_GE(d["clean_accuracy"].get<double>(), 0.0);
    EXPECT_LE(d["adversarial_accuracy"].get<double>(), 1.0);
  }
  const auto html = core::read_file(s.dir + "/report.html");
  EXPECT_EQ(j["report"], s.dir + "/report.html");
  EXPECT_NE(html.find("<svg"), std::string::npos);
  EXPECT_NE(html.find("jpeg:50"), std::string::npos);
  EXPECT_NE(html.find("data:image/png;base64,"), std::string::npos);
  EXPECT_EQ(html.substr(html.size() - 8), "</html>\n");
}

TEST(AttackEval, BadInput) {
  const auto& s = setup();
  auto expect_error = [](const CommandResult& r, const std::string& must_contain) {
    EXPECT_EQ(r.exit_code, 1) << r.err;
    EXPECT_EQ(line_count(r.err), 1) << r.err;
    EXPECT_NE(r.err.find(must_contain), std::string::npos) << r.err;
  };
  expect_error(run_nnlab("attack-eval --input " + s.dir + "/nowhere --labels " + s.dir +
                         "/in --model " + s.a + " -q"),
               "nowhere");
  expect_error(run_nnlab("attack-eval --input " + s.dir + "/data --labels " + s.dir +
                         "/in --model " + s.a + " -q"),
               "100.png");  // a folder without the adversarial images
  expect_error(run_nnlab("attack-eval --input " + s.dir + "/in --labels " + s.dir +
                         "/in --weights " + s.a + " --arch lenet5,lenet300 -q"),
               "--arch");
  expect_error(run_nnlab("attack --model " + s.a + " --input " + s.dir + "/in --output " + s.dir +
                         "/adv_bad --defense median:4 -q"),
               "--defense");
}

}  // namespace nnlab::testing
