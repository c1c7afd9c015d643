#include "nnlab/seq2seq/captioning.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include "data/data_test_util.h"
#include "nnlab/core/error.h"
#include "nnlab/core/execution_context.h"
#include "nnlab/data/data_spec.h"
#include "nnlab/data/idx.h"
#include "nnlab/data/image_io.h"
#include "nnlab/seq2seq/caption_scenes.h"

namespace nnlab::seq2seq {
namespace {

using data::testing_util::contains;
using data::testing_util::error_of;
using data::testing_util::TempDir;

// An IDX data set of 28x28 items: class c is a bright block at a place of its own.
std::string write_items(const TempDir& dir) {
  torch::manual_seed(5);
  const auto make = [&](int n, const std::string& prefix) {
    auto labels = torch::randint(0, 4, {n}, torch::kLong);
    auto images = torch::rand({n, 28, 28}) * 0.3;
    for (int i = 0; i < n; ++i) {
      const auto c = labels[i].item<std::int64_t>();
      images[i].slice(0, c * 6, c * 6 + 8).slice(1, 4, 24) += 0.7;
    }
    data::write_idx(dir / (prefix + "-images-idx3-ubyte"),
                    (images.clamp(0, 1) * 255).round().to(torch::kUInt8));
    data::write_idx(dir / (prefix + "-labels-idx1-ubyte"), labels.to(torch::kUInt8));
  };
  make(40, "train");
  make(20, "t10k");
  return "idx:" + dir.str();
}

CaptionTrainingOptions tiny_options(const TempDir& dir, const std::string& data) {
  CaptionTrainingOptions o;
  o.data = data;
  o.scenes = 16;
  o.dev_scenes = 4;
  o.test_scenes = 6;
  o.scene.width = 64;
  o.scene.height = 32;
  o.scene.min_items = 1;
  o.scene.max_items = 2;
  o.model.features = 8;
  o.model.decoder.embedding = 4;
  o.model.decoder.decoder_hidden = 8;
  o.model.decoder.dropout = 0;
  o.training.epochs = 2;
  o.training.batch_size = 8;
  o.training.progress = false;
  o.output = dir / "cap.pt";
  return o;
}

core::ExecutionContext context_with_seed(std::uint64_t seed) {
  core::ExecutionContext context;
  context.seed = seed;
  return context;
}

TEST(Captioning, TrainsWritesAndScoresTheSameTestScenesAgain) {
  TempDir dir;
  const auto data = write_items(dir);
  const auto options = tiny_options(dir, data);
  int starts = 0, epochs = 0;
  CaptionTrainingCallbacks callbacks;
  callbacks.on_start = [&](const CaptionModel& m) {
    ++starts;
    EXPECT_EQ(m.model->regions(), 4 * 8);
  };
  callbacks.on_epoch = [&](const CaptionEpoch& e) { epochs = e.epoch; };
  torch::manual_seed(8);
  const auto run = run_caption_training(options, context_with_seed(8), callbacks);
  EXPECT_EQ(starts, 1);
  EXPECT_EQ(epochs, 2);
  ASSERT_EQ(run.history.size(), 2u);
  EXPECT_DOUBLE_EQ(run.seconds, run.history[0].seconds + run.history[1].seconds);
  EXPECT_EQ(run.test.scenes, 6);
  const auto json = run.to_json(options.output);
  EXPECT_EQ(json.at("epochs").size(), 2u);
  EXPECT_EQ(json.at("test").at("scenes"), 6);
  EXPECT_EQ(json.at("output"), options.output);

  // The file holds the scene options with the context's seed, the canvas and the recipe.
  auto model = load_caption_model(options.output, torch::kCPU);
  EXPECT_EQ(model.scenes.seed, 8u);
  EXPECT_EQ(model.options.height, 32);
  EXPECT_EQ(model.options.width, 64);
  EXPECT_EQ(model.options.channels, 1);
  EXPECT_EQ(model.class_words.size(), 4u);
  EXPECT_EQ(model.training.at("options").at("seed"), 8);
  EXPECT_EQ(model.training.at("test"), run.test.to_json());

  // Evaluating the file composes the same test scenes: the same scores.
  CaptionEvaluationOptions evaluation;
  evaluation.data = data;
  evaluation.scenes = 6;
  model.model->eval();
  EXPECT_EQ(evaluate_captions(model, evaluation).to_json(), run.test.to_json());
  evaluation.scenes = 0;
  EXPECT_TRUE(contains(error_of<core::OptionError>([&] { evaluate_captions(model, evaluation); }),
                       "CaptionEvaluationOptions.scenes"));

  // A test scene, then the same pixels from a PNG, captioned with one attention row per step.
  CaptionImageOptions source;
  source.data = data;
  source.scene = 2;
  const auto scene = caption_image(model, source);
  EXPECT_EQ(scene.title, "test scene 2");
  EXPECT_TRUE(
      torch::equal(scene.image, test_scenes(model, data::load_data(data).test, 3).images[2]));
  const auto description = describe_image(model, scene.image);
  std::string joined;
  for (const auto& w : description.words) joined += (joined.empty() ? "" : " ") + w;
  EXPECT_EQ(description.text, joined);
  EXPECT_EQ(description.caption.attention.size(),
            description.words.size() + (description.caption.finished ? 1 : 0));
  for (const auto& row : description.caption.attention) {
    float sum = 0;
    for (const float a : row) sum += a;
    EXPECT_NEAR(sum, 1.0f, 1e-4);
  }
  data::save_image(dir / "scene.png", scene.image);
  source.image = dir / "scene.png";
  const auto png = caption_image(model, source);
  EXPECT_EQ(png.title, dir / "scene.png");
  EXPECT_EQ(describe_image(model, png.image).text, description.text);

  data::save_image(dir / "small.png", torch::zeros({1, 16, 16}));
  source.image = dir / "small.png";
  EXPECT_TRUE(contains(error_of<core::FileError>([&] { caption_image(model, source); }),
                       "a 16x16 image; the model reads 64x32"));
  source.image.clear();
  source.scene = -1;
  EXPECT_TRUE(contains(error_of<core::OptionError>([&] { caption_image(model, source); }),
                       "CaptionImageOptions.scene"));
}

TEST(Captioning, RefusesEmptySceneCounts) {
  TempDir dir;
  auto options = tiny_options(dir, write_items(dir));
  options.dev_scenes = 0;
  EXPECT_TRUE(contains(
      error_of<core::OptionError>([&] { run_caption_training(options, context_with_seed(1)); }),
      "CaptionTrainingOptions.scenes"));
}

}  // namespace
}  // namespace nnlab::seq2seq
