#include "nnlab/seq2seq/models/image_captioner.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include "data/data_test_util.h"
#include "nnlab/core/error.h"
#include "nnlab/seq2seq/caption_trainer.h"
#include "nnlab/seq2seq/evaluation/caption_metrics.h"
#include "nnlab/seq2seq/models/language_model_file.h"
#include "nnlab/train/divergence.h"

namespace nnlab::seq2seq {
namespace {

using data::testing_util::TempDir;

// Four classes of 28x28 items (Fashion-MNIST's size) that a small CNN tells apart: a horizontal
// bar, a vertical bar, a frame and a dot, with noise. (Items much smaller than a region's
// receptive field, 18 pixels, could be read from beside them, and attention need not land on
// them.)
data::Dataset shapes(int n, std::uint64_t seed) {
  torch::manual_seed(seed);
  data::Dataset d;
  d.labels = torch::randint(0, 4, {n}, torch::kInt64);
  d.images = torch::rand({n, 1, 28, 28}) * 0.2;
  for (int i = 0; i < n; ++i) {
    auto img = d.images[i][0];
    switch (d.labels[i].item<int>()) {
      case 0:
        img.narrow(0, 11, 6).fill_(1);
        break;
      case 1:
        img.narrow(1, 11, 6).fill_(1);
        break;
      case 2:
        img.fill_(1);
        img.narrow(0, 6, 16).narrow(1, 6, 16).fill_(0);
        break;
      default:
        img.narrow(0, 10, 8).narrow(1, 10, 8).fill_(1);
        break;
    }
  }
  d.class_names = {"bar", "pole", "frame", "dot"};
  return d;
}

CaptionModel small_model() {
  torch::manual_seed(1);
  CaptionModel m;
  m.class_words = {"bar", "pole", "frame", "dot"};
  m.scenes.width = 64;
  m.scenes.height = 64;  // 2 x 2 cells of 32 pixels
  m.scenes.min_items = 2;
  m.scenes.max_items = 3;
  m.options.height = 64;
  m.options.width = 64;
  m.options.features = 32;
  m.options.decoder.embedding = 16;
  m.options.decoder.decoder_hidden = 48;
  m.options.decoder.dropout = 0;
  m.create_network();
  return m;
}

TEST(ImageCaptioner, AttentionCoversTheRegionsAndStepsMatchTraining) {
  auto m = small_model();
  m.model->eval();
  EXPECT_EQ(m.model->regions(), 64);  // an 8 x 8 grid
  const auto images = torch::rand({3, 1, 64, 64});
  const auto input = torch::tensor({{1, 4, 5, 6}, {1, 6, 6, 0}, {1, 7, 0, 0}}, torch::kInt64);
  const auto out = m.model->forward(images, input);
  EXPECT_EQ(out.logits.sizes(), (std::vector<std::int64_t>{3, 4, m.vocabulary.size()}));
  EXPECT_TRUE(torch::allclose(out.attention.sum(2), torch::ones({3, 4}), 1e-5, 1e-5));
  auto state = m.model->start(images, {});
  for (std::int64_t t = 0; t < 4; ++t) {
    auto step = m.model->step(input.select(1, t), state);
    EXPECT_TRUE(torch::allclose(step.logits, out.logits.select(1, t), 1e-5, 1e-5));
    state = step.state;
  }
  EXPECT_THROW(m.model->start(torch::rand({1, 1, 20, 64}), {}), c10::Error);
}

TEST(CaptionMetrics, MatchHandCountedCases) {
  auto m = small_model();
  data::SceneSet scenes;
  scenes.images = torch::zeros({2, 1, 64, 64});
  scenes.labels = {{0, 1, 2}, {3, 3}};
  const data::Box top_left{0, 0, 28, 28}, top_right{0, 32, 28, 28}, bottom_left{32, 0, 28, 28};
  scenes.boxes = {{top_left, top_right, bottom_left}, {top_left, top_right}};
  const auto ids = m.class_tokens();
  // Attention rows over the 8 x 8 grid (8 x 8 pixels a region): all mass on one region.
  const auto at = [](std::int64_t r, std::int64_t c) {
    std::vector<float> a(64, 0.0f);
    a[static_cast<std::size_t>(r * 8 + c)] = 1.0f;
    return a;
  };
  EXPECT_DOUBLE_EQ(attention_inside(m, at(0, 0), top_left), 1.0);  // centre (4, 4) is inside
  EXPECT_DOUBLE_EQ(attention_inside(m, at(0, 4), top_left), 0.0);  // centre (4, 36) is not
  Hypothesis a, b;
  a.tokens = {ids[0], ids[2], ids[2]};  // 2 of 3 words right
  a.attention = {at(0, 0), at(0, 5), at(0, 0), at(0, 0)};
  b.tokens = {ids[3], ids[3]};  // exact
  b.attention = {at(1, 1), at(7, 7), at(0, 0)};
  const auto s = score_captions(m, {a, b}, scenes);
  EXPECT_EQ(s.reference_words, 5);
  EXPECT_DOUBLE_EQ(s.word_accuracy, 100.0 * 4 / 5);
  EXPECT_DOUBLE_EQ(s.exact_match, 50.0);
  EXPECT_EQ(s.attended_words, 5);
  // Inside: a's first two words (regions (0,0) and (0,5) in top-left / top-right boxes), not its
  // third (region (0,0) is not in the bottom-left box); b's first word only.
  EXPECT_DOUBLE_EQ(s.attention_inside, 100.0 * 3 / 5);
}

TEST(CaptionTrainer, LearnsToNameItemsInOrderLookingAtEach) {
  auto m = small_model();
  const auto train = data::compose_scenes(shapes(400, 2), 1200, m.scenes);
  auto dev_options = m.scenes;
  dev_options.seed = 9;
  const auto dev = data::compose_scenes(shapes(100, 3), 200, dev_options);
  CaptionTrainOptions o;
  o.epochs = 8;
  o.batch_size = 32;
  o.lr = 5e-3;
  o.progress = false;
  const auto history = train_captioner(
      m, [&](int) { return train; }, dev, o);
  ASSERT_EQ(history.size(), 8u);
  const auto& last = history.back().dev;
  EXPECT_GT(last.word_accuracy, 90.0) << last.to_json().dump();
  EXPECT_GT(last.exact_match, 75.0);
  // Each word looks at its own item: an item holds 9 to 16 of the 64 region centres, so attention
  // spread at random would put half its mass inside for few words. (On Fashion-MNIST scenes the
  // trained model's share is in docs/BENCHMARKS.md.)
  EXPECT_GT(last.attention_inside, 60.0);
}

// At a rate far past any the command line takes (its flags stop at 2^53), the trainer stops
// at the first non-finite loss or gradient norm, naming the step.
TEST(CaptionTrainer, ANonFiniteLossStopsTrainingAtItsStep) {
  auto m = small_model();
  const auto train = data::compose_scenes(shapes(40, 2), 64, m.scenes);
  auto dev_options = m.scenes;
  dev_options.seed = 9;
  const auto dev = data::compose_scenes(shapes(20, 3), 16, dev_options);
  CaptionTrainOptions o;
  o.epochs = 1;
  o.batch_size = 8;
  o.lr = 1e30;
  o.progress = false;
  try {
    train_captioner(
        m, [&](int) { return train; }, dev, o);
    FAIL() << "training at lr 1e30 did not diverge";
  } catch (const train::DivergenceError& e) {
    EXPECT_EQ(e.epoch(), 1) << e.what();
    EXPECT_NE(std::string(e.what()).find("is probably too high"), std::string::npos);
  }
}

TEST(CaptionModelFile, RoundTripsAndRefusesOtherModels) {
  TempDir dir;
  auto m = small_model();
  save_caption_model(dir / "cap.pt", m);
  auto back = load_caption_model(dir / "cap.pt", torch::kCPU);
  EXPECT_EQ(back.class_words, m.class_words);
  EXPECT_EQ(back.scenes.max_items, 3);
  m.model->eval();
  const auto images = torch::rand({2, 1, 64, 64});
  const auto input = torch::tensor({{1, 4}, {1, 5}}, torch::kInt64);
  EXPECT_TRUE(torch::equal(m.model->forward(images, input).logits,
                           back.model->forward(images, input).logits));
  LanguageModelFile lm;
  lm.vocabulary = m.vocabulary;
  lm.options.embedding = lm.options.hidden = 4;
  lm.create_network();
  save_language_model(dir / "lm.pt", lm);
  EXPECT_THROW(load_caption_model(dir / "lm.pt", torch::kCPU), core::FileError);
}

}  // namespace
}  // namespace nnlab::seq2seq
