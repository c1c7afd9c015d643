// Seconds-long smoke tests of train, eval and predict on a tiny synthetic set.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "cli/cli_test_util.h"
#include "nnlab/data/csv.h"
#include "nnlab/data/idx.h"
#include "nnlab/data/image_io.h"
#include "nnlab/models/checkpoint.h"
#include "nnlab/models/model_loader.h"
#include "nnlab/train/evaluate.h"

namespace nnlab::testing {
namespace fs = std::filesystem;

namespace {

// A scratch directory with a small synthetic IDX set and lenet300 trained on it for `epochs`
// (dir/d.ckpt); returns the directory.
std::string trained_lenet300(const std::string& name, int epochs) {
  const auto dir = scratch_dir(name);
  write_synthetic_idx(dir + "/data", 600, 100);
  const auto r = run_nnlab("train --arch lenet300 --data idx:" + dir + "/data --epochs " +
                           std::to_string(epochs) + " -o " + dir + "/d.ckpt -q");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  return dir;
}

}  // namespace

TEST(Commands, TrainEvalPredictRoundTrip) {
  const auto dir = scratch_dir("commands");
  write_synthetic_idx(dir + "/data", 1000, 200);
  const auto train = run_nnlab("train --arch lenet5 --data idx:" + dir +
                               "/data --epochs 2 --batch-size 32 -o " + dir + "/m.ckpt --json -q");
  ASSERT_EQ(train.exit_code, 0) << train.err;
  const auto j = nlohmann::json::parse(train.out);
  EXPECT_EQ(j["epochs"], 2);
  EXPECT_EQ(j["history"].size(), 2u);
  EXPECT_GT(j["test_accuracy"].get<double>(), 0.5);
  // per-epoch JSON lines
  std::ifstream metrics(dir + "/m.ckpt.metrics.jsonl");
  std::string line;
  int lines = 0;
  while (std::getline(metrics, line)) {
    EXPECT_EQ(nlohmann::json::parse(line)["epoch"], ++lines);
    EXPECT_EQ(nlohmann::json::parse(line)["format_version"], 1);
  }
  EXPECT_EQ(lines, 2);

  const auto eval =
      run_nnlab("eval --model " + dir + "/m.ckpt --data idx:" + dir + "/data --json -q");
  ASSERT_EQ(eval.exit_code, 0) << eval.err;
  const auto e = nlohmann::json::parse(eval.out);
  EXPECT_DOUBLE_EQ(e["accuracy"].get<double>(), j["test_accuracy"].get<double>());
  EXPECT_EQ(e["count"], 200);
  EXPECT_EQ(e["confusion"].size(), 10u);
  std::int64_t total = 0;
  for (const auto& row : e["confusion"]) {
    for (const auto& v : row) total += v.get<std::int64_t>();
  }
  EXPECT_EQ(total, 200);

  // predict on a few test images saved as PNG: logits equal the library's on the same pixels
  const auto images =
      data::read_idx(dir + "/data/t10k-images-idx3-ubyte").slice(0, 0, 3).to(torch::kFloat) / 255;
  fs::create_directories(dir + "/png");
  for (int i = 0; i < 3; ++i)
    data::save_image(dir + "/png/" + std::to_string(i) + ".png", images[i].unsqueeze(0));
  const auto predict = run_nnlab("predict --model " + dir + "/m.ckpt " + dir + "/png -k 3 -o " +
                                 dir + "/preds.csv --logits " + dir + "/logits.csv -q");
  ASSERT_EQ(predict.exit_code, 0) << predict.err;
  const auto preds = data::CsvTable::read(dir + "/preds.csv");
  EXPECT_EQ(preds.rows().size(), 3u);
  EXPECT_TRUE(preds.column("top3_prob").has_value());
  const auto logits = data::CsvTable::read(dir + "/logits.csv");
  ASSERT_EQ(logits.rows().size(), 3u);
  ASSERT_EQ(logits.header().size(), 11u);
  models::ModelSource source;
  source.path = dir + "/m.ckpt";
  auto model = models::load_model(source);
  const auto expected = train::predict_logits(model, images.unsqueeze(1));
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(logits.rows()[static_cast<size_t>(i)][0], std::to_string(i) + ".png");
    for (int c = 0; c < 10; ++c) {
      EXPECT_FLOAT_EQ(std::stof(logits.rows()[static_cast<size_t>(i)][static_cast<size_t>(c + 1)]),
                      expected[i][c].item<float>());
    }
  }
}

TEST(Commands, AdversarialTrainingReportsHeldOutRobustAccuracy) {
  const auto dir = scratch_dir("adv_train");
  write_synthetic_idx(dir + "/data", 600, 100);
  const auto train = run_nnlab("train --arch lenet300 --data idx:" + dir +
                               "/data --epochs 2 --adv fgsm-rs --epsilon 8 --holdout 100 -o " +
                               dir + "/adv.ckpt --json -q");
  ASSERT_EQ(train.exit_code, 0) << train.err;
  const auto j = nlohmann::json::parse(train.out);
  ASSERT_EQ(j["history"].size(), 2u);
  for (const auto& epoch : j["history"]) {
    const auto clean = epoch["holdout_clean_accuracy"].get<double>();
    const auto robust = epoch["holdout_robust_accuracy"].get<double>();
    EXPECT_GT(clean, 0.5);
    EXPECT_LE(robust, clean);
  }
  // The adversarial settings live in the checkpoint, so --resume goes on with them.
  const auto more = run_nnlab("train --resume " + dir + "/adv.ckpt --epochs 3 --json -q");
  ASSERT_EQ(more.exit_code, 0) << more.err;
  EXPECT_TRUE(nlohmann::json::parse(more.out)["history"][2].contains("holdout_robust_accuracy"));

  const auto bad = run_nnlab("train --arch lenet300 --data idx:" + dir +
                             "/data --adv free --epsilon 8 -o " + dir + "/x.ckpt -q");
  EXPECT_EQ(bad.exit_code, 1);
  EXPECT_NE(bad.err.find("--adv"), std::string::npos) << bad.err;
  const auto no_adv = run_nnlab("train --arch lenet300 --data idx:" + dir +
                                "/data --epsilon 8 -o " + dir + "/x.ckpt -q");
  EXPECT_EQ(no_adv.exit_code, 1);
  EXPECT_NE(no_adv.err.find("--epsilon"), std::string::npos) << no_adv.err;
  EXPECT_FALSE(fs::exists(dir + "/x.ckpt"));
}

TEST(Commands, PruneKeepsMasksThroughFineTuning) {
  const auto dir = scratch_dir("prune");
  write_synthetic_idx(dir + "/data", 600, 100);
  const auto train = run_nnlab("train --arch lenet300 --data idx:" + dir + "/data --epochs 2 -o " +
                               dir + "/dense.ckpt -q");
  ASSERT_EQ(train.exit_code, 0) << train.err;
  const auto prune = run_nnlab("prune --model " + dir + "/dense.ckpt --sparsity 0.8 --steps 2 " +
                               "--finetune-epochs 1 -o " + dir + "/sparse.ckpt --json -q");
  ASSERT_EQ(prune.exit_code, 0) << prune.err;
  const auto j = nlohmann::json::parse(prune.out);
  ASSERT_EQ(j["steps"].size(), 3u);  // the dense model, then each step
  EXPECT_DOUBLE_EQ(j["steps"][0]["sparsity"].get<double>(), 0.0);
  EXPECT_NEAR(j["steps"][2]["sparsity"].get<double>(), 0.8, 1e-4);
  EXPECT_LT(j["steps"][2]["parameters"].get<double>(), j["steps"][0]["parameters"].get<double>());
  EXPECT_GT(j["steps"][2]["test_accuracy"].get<double>(), 0.5);

  // The checkpoint holds the masks, and its weights are zero where the masks are.
  const auto checkpoint = models::read_checkpoint(dir + "/sparse.ckpt");
  ASSERT_EQ(checkpoint.masks.size(), 3u);
  for (const auto& [name, mask] : checkpoint.masks) {
    for (const auto& [key, tensor] : checkpoint.state) {
      if (key == name) {
        EXPECT_EQ(tensor.masked_select(mask.eq(0)).count_nonzero().item<int>(), 0);
      }
    }
  }
  // It evaluates like any checkpoint.
  const auto eval =
      run_nnlab("eval --model " + dir + "/sparse.ckpt --data idx:" + dir + "/data --json -q");
  ASSERT_EQ(eval.exit_code, 0) << eval.err;
  EXPECT_DOUBLE_EQ(nlohmann::json::parse(eval.out)["accuracy"].get<double>(),
                   j["steps"][2]["test_accuracy"].get<double>());

  for (const auto* bad : {"--sparsity 1.2", "--sparsity 0", "--layers fc9", "--schedule cubic"}) {
    const auto r =
        run_nnlab("prune --model " + dir + "/dense.ckpt " + bad + " -o " + dir + "/bad.ckpt -q");
    EXPECT_EQ(r.exit_code, 1) << bad;
    EXPECT_EQ(line_count(r.err), 1) << r.err;
  }
  const auto not_model =
      run_nnlab("prune --model " + dir + "/data/t10k-labels-idx1-ubyte -o " + dir + "/bad.ckpt -q");
  EXPECT_EQ(not_model.exit_code, 1);
  EXPECT_NE(not_model.err.find("t10k-labels-idx1-ubyte"), std::string::npos) << not_model.err;
  EXPECT_FALSE(fs::exists(dir + "/bad.ckpt"));
}

TEST(Commands, StructuredPruneFactorizeAndConvertWriteReloadableSmallerModels) {
  const auto dir = scratch_dir("structure");
  write_synthetic_idx(dir + "/data", 400, 100);
  const std::string data = " --data idx:" + dir + "/data";
  ASSERT_EQ(
      run_nnlab("train --arch cnn" + data + " --epochs 1 -o " + dir + "/cnn.ckpt -q").exit_code, 0);
  ASSERT_EQ(run_nnlab("train --arch lenet300" + data + " --epochs 1 -o " + dir + "/l300.ckpt -q")
                .exit_code,
            0);

  // Filter pruning to half the MACs in two steps: a smaller dense model that evaluates.
  const auto prune =
      run_nnlab("prune --structured --target-macs 0.5 --steps 2 --schedule equal --model " + dir +
                "/cnn.ckpt --finetune-epochs 1 -o " + dir + "/thin.ckpt --plot " + dir +
                "/thin.svg --json -q");
  ASSERT_EQ(prune.exit_code, 0) << prune.err;
  const auto p = nlohmann::json::parse(prune.out)["steps"];
  ASSERT_EQ(p.size(), 3u);
  EXPECT_LE(p[2]["macs"].get<double>(), 0.5 * p[0]["macs"].get<double>());
  EXPECT_GT(p[2]["macs"].get<double>(), 0.4 * p[0]["macs"].get<double>());
  EXPECT_LT(p[2]["parameters"].get<double>(), p[0]["parameters"].get<double>());
  EXPECT_NE(read_text(dir + "/thin.svg").find("<svg"), std::string::npos);
  const auto thin_eval = run_nnlab("eval --model " + dir + "/thin.ckpt" + data + " --json -q");
  ASSERT_EQ(thin_eval.exit_code, 0) << thin_eval.err;
  EXPECT_DOUBLE_EQ(nlohmann::json::parse(thin_eval.out)["accuracy"].get<double>(),
                   p[2]["test_accuracy"].get<double>());

  // Factorization of lenet300's fc1 to rank 32.
  const auto factorize =
      run_nnlab("factorize --model " + dir + "/l300.ckpt --layers fc1 " +
                "--rank 32 --finetune-epochs 1 -o " + dir + "/lr.ckpt --json -q");
  ASSERT_EQ(factorize.exit_code, 0) << factorize.err;
  const auto f = nlohmann::json::parse(factorize.out);
  EXPECT_EQ(f["layers"][0]["params_after"].get<int>(), 32 * (784 + 300) + 300);
  const auto lr_eval = run_nnlab("eval --model " + dir + "/lr.ckpt" + data + " --json -q");
  ASSERT_EQ(lr_eval.exit_code, 0) << lr_eval.err;
  EXPECT_DOUBLE_EQ(nlohmann::json::parse(lr_eval.out)["accuracy"].get<double>(),
                   f["accuracy_finetuned"].get<double>());

  // Depthwise conversion, trained by distillation from the original.
  const auto convert = run_nnlab("convert --depthwise --model " + dir +
                                 "/cnn.ckpt --finetune-epochs 1 -o " + dir + "/dw.ckpt --json -q");
  ASSERT_EQ(convert.exit_code, 0) << convert.err;
  const auto c = nlohmann::json::parse(convert.out);
  EXPECT_EQ(c["layers"].size(), 3u);  // every 3x3 conv but the one reading the image
  EXPECT_LT(c["converted"]["parameters"].get<int>(), c["original"]["parameters"].get<int>());
  const auto summary = run_nnlab("summary --model " + dir + "/dw.ckpt --json -q");
  ASSERT_EQ(summary.exit_code, 0) << summary.err;

  // Bad input: one line each, nothing written.
  const std::vector<std::string> bad = {
      "prune --structured --ratio 1.5 --model " + dir + "/cnn.ckpt",
      "prune --structured --target-macs 0 --ratio 0 --model " + dir + "/cnn.ckpt",
      "prune --structured --layers features.42 --model " + dir + "/cnn.ckpt",
      "factorize --layers fc1 --rank 301 --model " + dir + "/l300.ckpt",
      "factorize --layers fc9 --rank 8 --model " + dir + "/l300.ckpt",
      "factorize --layers fc1 --rank 8 --model " + dir + "/data/t10k-labels-idx1-ubyte",
      "convert --depthwise --layers features.1 --model " + dir + "/cnn.ckpt",
  };
  for (const auto& command : bad) {
    const auto r = run_nnlab(command + " -o " + dir + "/bad.ckpt -q");
    EXPECT_EQ(r.exit_code, 1) << command;
    EXPECT_EQ(line_count(r.err), 1) << command << ": " << r.err;
  }
  EXPECT_FALSE(fs::exists(dir + "/bad.ckpt"));
}

TEST(Commands, QuantizeWritesAnNnzThatEvaluatesAndRefusesDamage) {
  const auto dir = trained_lenet300("quantize", 2);
  const std::string data = " --data idx:" + dir + "/data";
  ASSERT_EQ(run_nnlab("prune --model " + dir + "/d.ckpt --sparsity 0.9 --finetune-epochs 0 -o " +
                      dir + "/p.ckpt -q")
                .exit_code,
            0);
  const auto q = run_nnlab("quantize --model " + dir + "/p.ckpt --bits 4 --finetune-epochs 1 -o " +
                           dir + "/m.nnz --json -q");
  ASSERT_EQ(q.exit_code, 0) << q.err;
  const auto j = nlohmann::json::parse(q.out);
  EXPECT_LT(j["file_bytes"].get<double>() * 20, j["float32_bytes"].get<double>());
  const auto eval = run_nnlab("eval --model " + dir + "/m.nnz" + data + " --json -q");
  ASSERT_EQ(eval.exit_code, 0) << eval.err;
  EXPECT_DOUBLE_EQ(nlohmann::json::parse(eval.out)["accuracy"].get<double>(),
                   j["accuracy_finetuned"].get<double>());

  // One changed byte, and a cut file: one line naming the file, exit 1.
  auto bytes = read_text(dir + "/m.nnz");
  bytes[bytes.size() / 2] = static_cast<char>(bytes[bytes.size() / 2] ^ 0x10);
  std::ofstream(dir + "/bad.nnz", std::ios::binary) << bytes;
  std::ofstream(dir + "/cut.nnz", std::ios::binary) << read_text(dir + "/m.nnz").substr(0, 100);
  for (const auto* name : {"/bad.nnz", "/cut.nnz"}) {
    const auto r = run_nnlab("eval --model " + dir + name + data + " -q");
    EXPECT_EQ(r.exit_code, 1) << name;
    EXPECT_EQ(line_count(r.err), 1) << r.err;
    EXPECT_NE(r.err.find(name + 1), std::string::npos) << r.err;
  }
  const auto bad_bits =
      run_nnlab("quantize --model " + dir + "/p.ckpt --bits 0 -o " + dir + "/x.nnz -q");
  EXPECT_EQ(bad_bits.exit_code, 1);
  EXPECT_FALSE(fs::exists(dir + "/x.nnz"));
}

TEST(Commands, QuantizeToFloat16HalvesTheFileAndKeepsTheAccuracyItReports) {
  const auto dir = trained_lenet300("quantize_half", 1);
  const std::string data = " --data idx:" + dir + "/data";
  const auto q = run_nnlab("quantize --model " + dir + "/d.ckpt --method float16 -o " + dir +
                           "/h.nnz --json -q");
  ASSERT_EQ(q.exit_code, 0) << q.err;
  const auto j = nlohmann::json::parse(q.out);
  EXPECT_EQ(j["bits"], 16);
  const double ratio = j["float32_bytes"].get<double>() / j["file_bytes"].get<double>();
  EXPECT_GT(ratio, 1.95);
  EXPECT_LT(ratio, 2.0);
  const auto eval = run_nnlab("eval --model " + dir + "/h.nnz" + data + " --json -q");
  ASSERT_EQ(eval.exit_code, 0) << eval.err;
  EXPECT_DOUBLE_EQ(nlohmann::json::parse(eval.out)["accuracy"].get<double>(),
                   j["accuracy_quantized"].get<double>());
  const auto bad = run_nnlab("quantize --model " + dir +
                             "/d.ckpt --method uniform --scheme odd -o " + dir + "/x.nnz -q");
  EXPECT_EQ(bad.exit_code, 1);
  EXPECT_EQ(line_count(bad.err), 1) << bad.err;
}

TEST(Commands, DeepCompressionPipelineReportsEachStageAndItsFileEvaluatesAlike) {
  const auto dir = trained_lenet300("compress", 2);
  const std::string data = " --data idx:" + dir + "/data";
  const auto c = run_nnlab("compress --pipeline deep --model " + dir +
                           "/d.ckpt --keep fc1=0.05,fc2=0.1,fc3=0.5 --steps 2 --finetune-epochs 1 "
                           "--fc-bits 4 --layer-bits fc3=6 --cluster-epochs 1 --distil -o " +
                           dir + "/m.nnz --json -q");
  ASSERT_EQ(c.exit_code, 0) << c.err;
  const auto j = nlohmann::json::parse(c.out);
  ASSERT_EQ(j["stages"].size(), 5u);
  ASSERT_EQ(j["layers"].size(), 3u);
  EXPECT_NEAR(j["layers"][0]["kept_fraction"].get<double>(), 0.05, 1e-3);
  EXPECT_NEAR(j["layers"][2]["kept_fraction"].get<double>(), 0.5, 1e-3);
  EXPECT_EQ(j["layers"][0]["weight_bits"], 4);
  EXPECT_EQ(j["layers"][2]["weight_bits"], 6);  // --layer-bits over --fc-bits
  EXPECT_LE(j["layers"][0]["weight_bits_huffman"].get<double>(), 4.0);
  // Each stage is smaller than the one before; the last is the file.
  double previous = 1e30;
  for (const auto& stage : j["stages"]) {
    EXPECT_LE(stage["bytes"].get<double>(), previous) << stage;
    previous = stage["bytes"].get<double>();
  }
  EXPECT_DOUBLE_EQ(j["file_bytes"].get<double>(),
                   static_cast<double>(fs::file_size(dir + "/m.nnz")));
  EXPECT_GT(j["ratio"].get<double>(), 40);
  const auto eval = run_nnlab("eval --model " + dir + "/m.nnz" + data + " --json -q");
  ASSERT_EQ(eval.exit_code, 0) << eval.err;
  EXPECT_DOUBLE_EQ(nlohmann::json::parse(eval.out)["accuracy"].get<double>(),
                   j["stages"][4]["test_accuracy"].get<double>());
  for (const auto* bad :
       {"--keep fc1=2", "--keep fc9=0.5", "--pipeline shallow", "--fc-bits 0", "--sparsity 1",
        "--layer-bits fc1=0", "--layer-bits fc1=4.5", "--layer-bits fc9=4", "--layer-bits fc1"}) {
    const auto r =
        run_nnlab("compress --model " + dir + "/d.ckpt " + bad + " -o " + dir + "/x.nnz -q");
    EXPECT_EQ(r.exit_code, 1) << bad;
    EXPECT_EQ(line_count(r.err), 1) << bad << ": " << r.err;
  }
  EXPECT_EQ(run_nnlab("compress --model " + dir + "/d.ckpt -o " + dir + "/x.ckpt -q").exit_code, 1);
  EXPECT_FALSE(fs::exists(dir + "/x.nnz"));
}

TEST(Commands, TrainWithATeacherRecordsTheDistillation) {
  const auto dir = scratch_dir("distill");
  write_synthetic_idx(dir + "/data", 600, 100);
  ASSERT_EQ(run_nnlab("train --arch lenet5 --data idx:" + dir + "/data --epochs 2 -o " + dir +
                      "/teacher.ckpt -q")
                .exit_code,
            0);
  const auto student = run_nnlab("train --arch lenet300 --data idx:" + dir + "/data --epochs 2 " +
                                 "--teacher " + dir + "/teacher.ckpt --temperature 3 --alpha " +
                                 "0.7 -o " + dir + "/student.ckpt --json -q");
  ASSERT_EQ(student.exit_code, 0) << student.err;
  EXPECT_GT(nlohmann::json::parse(student.out)["test_accuracy"].get<double>(), 0.5);
  const auto meta = models::read_checkpoint(dir + "/student.ckpt").meta;
  EXPECT_EQ(meta["distillation"]["teacher"], dir + "/teacher.ckpt");
  EXPECT_DOUBLE_EQ(meta["distillation"]["temperature"].get<double>(), 3.0);
  EXPECT_DOUBLE_EQ(meta["distillation"]["alpha"].get<double>(), 0.7);

  const auto bad = run_nnlab("train --arch lenet300 --data idx:" + dir + "/data --teacher " + dir +
                             "/teacher.ckpt --alpha 2 -o " + dir + "/bad.ckpt -q");
  EXPECT_EQ(bad.exit_code, 1);
  EXPECT_NE(bad.err.find("--alpha"), std::string::npos) << bad.err;
  const auto missing = run_nnlab("train --arch lenet300 --data idx:" + dir + "/data --teacher " +
                                 dir + "/nowhere.ckpt -o " + dir + "/bad.ckpt -q");
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_NE(missing.err.find("nowhere.ckpt"), std::string::npos) << missing.err;
}

}  // namespace nnlab::testing
