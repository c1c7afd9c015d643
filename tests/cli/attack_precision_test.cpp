// --precision bf16 through nnlab attack (issue 30): FGSM and PGD run the victim's forward and
// backward in bf16 (autocast, channels-last) while the image arithmetic stays float32, so every
// saved 8-bit PNG lies inside the eps-ball exactly; the JSON and metrics.json say bf16; and
// `attack-eval --precision fp32` re-scores the bf16 images in float32 to within a point of the
// fp32 attack's success rate. A LeNet-5 (convolutions: the channels-last path) trained briefly on
// the synthetic Fashion-MNIST-shaped set, 400 of its 28x28 test images in a task folder labelled
// with the model's own fp32 predictions, so every image is attacked.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "cli/cli_test_util.h"
#include "nnlab/core/atomic_file.h"
#include "nnlab/data/data_spec.h"
#include "nnlab/data/image_io.h"
#include "nnlab/models/checkpoint.h"
#include "nnlab/models/registry.h"
#include "nnlab/train/evaluate.h"
#include "nnlab/train/trainer.h"

namespace nnlab::testing {
namespace fs = std::filesystem;

namespace {

// 400 images: one image is a quarter of a point, so "within 1 point" allows four images to
// change sides. The bf16 gradient differs from the fp32 one in the last bits, so images near the
// decision boundary can fall either way; with 200 images PGD's two runs differed by 2 images
// (exactly the 1-point limit), too close for a test that must pass on other bf16 hardware.
constexpr int kImages = 400;
// A budget at which the attacks fool this model on part of the images, not all or none.
constexpr int kEpsilon = 24;

struct Setup {
  std::string dir, model;
  std::vector<torch::Tensor> clean;  // (1, 28, 28) each, as read back from the PNGs
};

const Setup& setup() {
  static const Setup s = [] {
    Setup out;
    out.dir = scratch_dir("attack_precision");
    write_synthetic_idx(out.dir + "/data", 600, kImages);
    const auto split = data::load_data("idx:" + out.dir + "/data", {});
    torch::manual_seed(1);
    auto net = models::create_model("lenet5");
    train::TrainOptions options;
    options.epochs = 2;
    options.progress = false;
    options.seed = 1;
    train::Trainer(net, options).fit(split);
    net.eval();
    out.model = out.dir + "/lenet5.ckpt";
    models::save_checkpoint(out.model, models::make_checkpoint(net));
    fs::create_directories(out.dir + "/in/images");
    for (int i = 0; i < kImages; ++i) {
      const auto path = out.dir + "/in/images/" + std::to_string(1000 + i) + ".png";
      data::save_image(path, split.test.images[i]);
      out.clean.push_back(data::load_image(path, {1, 28, 28}));
    }
    const auto labels = train::predict_logits(net, torch::stack(out.clean)).argmax(1);
    std::ofstream csv(out.dir + "/in/labels.csv");
    csv << "ImgId,TrueLabel\n";
    for (int i = 0; i < kImages; ++i) {
      csv << 1000 + i << "," << labels[i].item<std::int64_t>() << "\n";
    }
    return out;
  }();
  return s;
}

// The largest difference, in whole gray levels, between any saved PNG and its clean image.
std::int64_t linf_levels(const Setup& s, const std::string& folder) {
  std::int64_t worst = 0;
  for (int i = 0; i < kImages; ++i) {
    const auto adv =
        data::load_image(folder + "/" + std::to_string(1000 + i) + ".png", {1, 28, 28});
    const auto levels = ((adv * 255).round() - (s.clean[i] * 255).round()).abs().max();
    worst = std::max(worst, levels.to(torch::kLong).item<std::int64_t>());
  }
  return worst;
}

// One attack in the given precision; checks its provenance and returns its JSON.
nlohmann::json attack(const Setup& s, const std::string& precision, const std::string& method,
                      const std::string& out) {
  const auto r = run_nnlab("--precision " + precision + " attack --method " + method +
                           " --steps 5 --model " + s.model + " --input " + s.dir + "/in --output " +
                           out + " --epsilon " + std::to_string(kEpsilon) + " --json -q");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["provenance"]["precision"], precision);
  EXPECT_EQ(
      nlohmann::json::parse(core::read_file(out + "/metrics.json"))["provenance"]["precision"],
      precision);
  return j;
}

void bf16_matches_fp32(const std::string& method) {
  const auto& s = setup();
  const auto fp32_dir = s.dir + "/" + method + "-fp32";
  const auto bf16_dir = s.dir + "/" + method + "-bf16";
  const auto fp32 = attack(s, "fp32", method, fp32_dir);
  const auto bf16 = attack(s, "bf16", method, bf16_dir);
  // Inside the ball exactly: no saved pixel more than kEpsilon gray levels from the clean one.
  EXPECT_LE(linf_levels(s, fp32_dir), kEpsilon);
  EXPECT_LE(linf_levels(s, bf16_dir), kEpsilon);
  EXPECT_GT(linf_levels(s, bf16_dir), 0);  // and it did perturb

  // Both folders re-scored in float32 (the default, and asked for explicitly).
  const auto eval = run_nnlab("--precision fp32 attack-eval --input " + fp32_dir + "," + bf16_dir +
                              " --labels " + s.dir + "/in --model " + s.model + " --json -q");
  ASSERT_EQ(eval.exit_code, 0) << eval.err;
  const auto j = nlohmann::json::parse(eval.out);
  EXPECT_EQ(j["provenance"]["precision"], "fp32");
  ASSERT_EQ(j["rows"].size(), 3u);
  const auto& accuracy = j["accuracy"];
  ASSERT_DOUBLE_EQ(accuracy[0][0].get<double>(), 1.0);  // labels are the model's fp32 predictions
  // fp32 re-scoring of the fp32 images is what the fp32 attack measured on its files.
  EXPECT_DOUBLE_EQ(accuracy[1][0].get<double>(), fp32["adversarial_accuracy"].get<double>());
  const double fp32_success = 1.0 - accuracy[1][0].get<double>();
  const double bf16_success_in_fp32 = 1.0 - accuracy[2][0].get<double>();
  EXPECT_GT(fp32_success, 0.1) << "the attack must succeed on some images for this to mean much";
  EXPECT_LT(fp32_success, 0.9) << "and fail on some";
  EXPECT_NEAR(bf16_success_in_fp32, fp32_success, 0.01 + 1e-9);

  // The bf16 run judged its images in bf16: its own number is near the fp32 one too, and
  // attack-eval in bf16 says so in its provenance.
  EXPECT_NEAR(bf16["adversarial_accuracy"].get<double>(), accuracy[2][0].get<double>(), 0.03);
  const auto in_bf16 = run_nnlab("--precision bf16 attack-eval --input " + bf16_dir + " --labels " +
                                 s.dir + "/in --model " + s.model + " --json -q");
  ASSERT_EQ(in_bf16.exit_code, 0) << in_bf16.err;
  const auto b = nlohmann::json::parse(in_bf16.out);
  EXPECT_EQ(b["provenance"]["precision"], "bf16");
  EXPECT_DOUBLE_EQ(b["accuracy"][1][0].get<double>(), bf16["adversarial_accuracy"].get<double>());
}

}  // namespace

TEST(AttackPrecision, FgsmInBf16StaysInTheBallAndRescoresInFp32) {
  bf16_matches_fp32("fgsm");
}

TEST(AttackPrecision, PgdInBf16StaysInTheBallAndRescoresInFp32) {
  bf16_matches_fp32("pgd");
}

}  // namespace nnlab::testing
