#include "nnlab/seq2seq/models/caption_model.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include "data/data_test_util.h"
#include "nnlab/core/error.h"
#include "nnlab/seq2seq/models/model_file.h"

namespace nnlab::seq2seq {
namespace {

using data::testing_util::TempDir;

CaptionModel tiny_model(std::uint64_t seed) {
  torch::manual_seed(seed);
  CaptionModel m;
  m.class_words = {"t-shirt", "bag", "ankle-boot"};
  m.scenes.width = 48;
  m.scenes.height = 32;
  m.scenes.min_items = 1;
  m.scenes.max_items = 2;
  m.scenes.seed = 77;
  m.options.height = 32;
  m.options.width = 48;
  m.options.features = 8;
  m.options.decoder.embedding = 6;
  m.options.decoder.decoder_hidden = 10;
  m.options.decoder.dropout = 0;
  m.training = {{"note", "tiny"}};
  m.create_network();
  m.model->eval();
  return m;
}

TEST(CaptionModel, VocabularyIsTheClassWordsAndShapesFollowTheCanvas) {
  auto m = tiny_model(1);
  EXPECT_EQ(m.vocabulary.size(), 4 + 3);  // pad, <s>, </s>, <unk> and a word per class
  const auto ids = m.class_tokens();
  ASSERT_EQ(ids.size(), 3u);
  for (std::size_t c = 0; c < ids.size(); ++c) {
    EXPECT_EQ(m.vocabulary.decode({ids[c]}), Tokens{m.class_words[c]});
  }
  EXPECT_EQ(m.model->grid_height(), 4);
  EXPECT_EQ(m.model->grid_width(), 6);
  const auto images = torch::rand({2, 1, 32, 48});
  const std::int64_t begin = Vocabulary::kBegin, pad = Vocabulary::kPad;
  const auto input = torch::tensor({begin, ids[0], ids[2], begin, ids[1], pad}).view({2, 3});
  const auto out = m.model->forward(images, input);
  EXPECT_EQ(out.logits.sizes(), (std::vector<std::int64_t>{2, 3, 7}));
  // Every step's attention is a distribution over the 24 regions.
  EXPECT_EQ(out.attention.sizes(), (std::vector<std::int64_t>{2, 3, 24}));
  EXPECT_TRUE(torch::allclose(out.attention.sum(2), torch::ones({2, 3}), 1e-5, 1e-5));
  EXPECT_TRUE((out.attention >= 0).all().item<bool>());
}

TEST(CaptionModel, TheSameSeedBuildsTheSameNetwork) {
  auto a = tiny_model(4), b = tiny_model(4), c = tiny_model(5);
  const auto images = torch::rand({1, 1, 32, 48});
  const auto input = torch::tensor({{1, 4, 5}}, torch::kInt64);
  const auto la = a.model->forward(images, input).logits;
  EXPECT_TRUE(torch::equal(la, b.model->forward(images, input).logits));
  EXPECT_FALSE(torch::equal(la, c.model->forward(images, input).logits));
}

TEST(CaptionModel, FileRoundTripKeepsWeightsWordsScenesAndTraining) {
  TempDir dir;
  auto m = tiny_model(2);
  // Move BatchNorm's running statistics off their initial values, so that the buffers are
  // checked too.
  m.model->train();
  m.model->forward(torch::rand({4, 1, 32, 48}), torch::tensor({{1, 4}, {1, 5}, {1, 6}, {1, 4}}));
  m.model->eval();
  save_caption_model(dir / "cap.pt", m);
  auto back = load_caption_model(dir / "cap.pt", torch::kCPU);
  EXPECT_EQ(back.class_words, m.class_words);
  EXPECT_EQ(back.scenes.width, 48);
  EXPECT_EQ(back.scenes.height, 32);
  EXPECT_EQ(back.scenes.min_items, 1);
  EXPECT_EQ(back.scenes.max_items, 2);
  EXPECT_EQ(back.scenes.seed, 77u);
  EXPECT_EQ(back.options.to_json(), m.options.to_json());
  EXPECT_EQ(back.training, m.training);
  EXPECT_EQ(back.class_tokens(), m.class_tokens());
  back.model->eval();
  const auto images = torch::rand({2, 1, 32, 48});
  const auto input = torch::tensor({{1, 4, 6}, {1, 5, 5}}, torch::kInt64);
  const auto a = m.model->forward(images, input), b = back.model->forward(images, input);
  EXPECT_TRUE(torch::equal(a.logits, b.logits));
  EXPECT_TRUE(torch::equal(a.attention, b.attention));
  // The archive says what it is; a G2P model is not a caption model.
  EXPECT_EQ(to_archive(m).meta.at("format"), kCaptionFormat);
  SequenceModel g2p;
  g2p.task = "g2p";
  const Tokens letters = {"A"};
  g2p.source_vocabulary = g2p.target_vocabulary = Vocabulary::build({&letters});
  g2p.options.embedding = g2p.options.encoder_hidden = g2p.options.decoder_hidden = 4;
  g2p.create_network();
  save_sequence_model(dir / "g2p.pt", g2p);
  EXPECT_THROW(load_caption_model(dir / "g2p.pt", torch::kCPU), core::FileError);
}

}  // namespace
}  // namespace nnlab::seq2seq
