// The sequence models in bf16 (StepDecoder::set_precision, LibTorch's mixed precision): matrix
// products run in bfloat16 inside, while logits, attention, the recurrent state, losses, weights
// and gradients stay float32; fp32 again gives exactly what it gave before; decoding in bf16
// agrees with fp32 on a trained model; files record the precision and keep float32 weights.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <random>

#include "data/data_test_util.h"
#include "nnlab/core/autocast.h"
#include "nnlab/seq2seq/decoding/translator.h"
#include "nnlab/seq2seq/models/caption_model.h"
#include "nnlab/seq2seq/models/language_model_file.h"
#include "nnlab/seq2seq/models/model_file.h"
#include "nnlab/seq2seq/seq2seq_trainer.h"
#include "seq2seq/reversal_corpus.h"

namespace nnlab::seq2seq {
namespace {

using core::Precision;
using data::testing_util::TempDir;

using test_util::reversal_corpus;

// LSTM cells and Luong "general" attention: every kind of matrix product the G2P model has
// (LSTM, Linear, bmm).
SequenceModel lstm_model(const Corpus& train) {
  torch::manual_seed(0);
  SequenceModel m;
  m.task = "g2p";
  m.options.embedding = 16;
  m.options.encoder_hidden = 16;
  m.options.encoder_layers = 1;
  m.options.decoder_hidden = 32;
  m.options.cell = "lstm";
  m.options.attention = "general";
  m.options.dropout = 0.1;
  std::vector<const Tokens*> s, t;
  for (const auto& e : train) {
    s.push_back(&e.source);
    t.push_back(&e.targets[0]);
  }
  m.source_vocabulary = Vocabulary::build(s);
  m.target_vocabulary = Vocabulary::build(t);
  m.create_network();
  return m;
}

Batch batch_of(const SequenceModel& m, const Corpus& corpus) {
  const auto examples = make_examples(corpus, m.source_vocabulary, m.target_vocabulary);
  std::vector<std::int64_t> rows(examples.size());
  for (std::size_t i = 0; i < rows.size(); ++i) rows[i] = static_cast<std::int64_t>(i);
  return make_batch(examples, rows, torch::kCPU);
}

double max_difference(const torch::Tensor& a, const torch::Tensor& b) {
  return (a - b).abs().max().item<double>();
}

TEST(SequencePrecision, Bf16TrainingStepMultipliesInBf16WithFloat32LossWeightsAndGradients) {
  const auto corpus = reversal_corpus(12, 1);
  auto m = lstm_model(corpus);
  const auto batch = batch_of(m, corpus);
  m.model->eval();
  const torch::Tensor fp32 = m.model->forward(batch).logits;

  m.model->set_precision(Precision::kBf16);
  EXPECT_EQ(m.model->precision(), Precision::kBf16);
  // Inside: the attention's projection of the memory (a Linear) came out bfloat16; the recurrent
  // state the LSTM cells read stays float32.
  const auto state = m.model->start(batch.source, batch.source_lengths);
  EXPECT_EQ(state.at("keys").scalar_type(), torch::kBFloat16);
  EXPECT_EQ(state.at("hidden").scalar_type(), torch::kFloat);
  EXPECT_EQ(state.at("cell").scalar_type(), torch::kFloat);
  const auto step = m.model->step(batch.target_input.select(1, 0), state);
  EXPECT_EQ(step.state.at("feed").scalar_type(), torch::kBFloat16);  // tanh(W_c [c; h])
  EXPECT_EQ(step.state.at("hidden").scalar_type(), torch::kFloat);
  EXPECT_EQ(step.logits.scalar_type(), torch::kFloat);
  EXPECT_EQ(step.attention.scalar_type(), torch::kFloat);
  EXPECT_FALSE(core::autocast_bf16_active(torch::kCPU));  // the model's scope closed

  // A training step: float32 logits, loss, weights and gradients.
  m.model->train();
  torch::manual_seed(3);
  const auto out = m.model->forward(batch);
  EXPECT_EQ(out.logits.scalar_type(), torch::kFloat);
  EXPECT_EQ(out.attention.scalar_type(), torch::kFloat);
  const auto loss = torch::nn::functional::cross_entropy(
      out.logits.flatten(0, 1), batch.target_output.flatten(),
      torch::nn::functional::CrossEntropyFuncOptions().ignore_index(Vocabulary::kPad));
  EXPECT_EQ(loss.scalar_type(), torch::kFloat);
  loss.backward();
  for (const auto& p : m.model->parameters()) {
    EXPECT_EQ(p.scalar_type(), torch::kFloat);
    ASSERT_TRUE(p.grad().defined());
    EXPECT_EQ(p.grad().scalar_type(), torch::kFloat);
  }

  // The same weights in eval mode: bf16 moved the logits (it did run), a little.
  m.model->eval();
  const torch::Tensor bf16 = m.model->forward(batch).logits;
  EXPECT_GT(max_difference(bf16, fp32), 0.0);
  EXPECT_LT(max_difference(bf16, fp32), 0.05);

  // Back to fp32: bit for bit what it was.
  m.model->set_precision(Precision::kFp32);
  EXPECT_TRUE(torch::equal(m.model->forward(batch).logits, fp32));
}

TEST(SequencePrecision, LanguageModelInBf16KeepsFloat32LogitsAndState) {
  torch::manual_seed(2);
  LanguageModel lm(LanguageModelOptions{"lstm", 16, 32, 2, 0.0}, 20);
  lm->eval();
  const auto tokens = torch::randint(4, 20, {3, 7}, torch::kInt64);
  const auto [fp32, fp32_state] = lm->forward(tokens);
  lm->set_precision(Precision::kBf16);
  const auto [bf16, bf16_state] = lm->forward(tokens);
  EXPECT_EQ(bf16.scalar_type(), torch::kFloat);
  EXPECT_EQ(bf16_state.at("hidden").scalar_type(), torch::kFloat);
  EXPECT_EQ(bf16_state.at("cell").scalar_type(), torch::kFloat);
  EXPECT_GT(max_difference(bf16, fp32), 0.0);
  EXPECT_LT(max_difference(bf16, fp32), 0.05);
  lm->set_precision(Precision::kFp32);
  EXPECT_TRUE(torch::equal(lm->forward(tokens).first, fp32));
}

TEST(SequencePrecision, CaptionerInBf16RunsChannelsLastConvolutionsWithFloat32Logits) {
  torch::manual_seed(4);
  CaptionerOptions options;
  options.height = 32;
  options.width = 32;
  options.features = 16;
  options.decoder.embedding = 8;
  options.decoder.decoder_hidden = 16;
  ImageCaptioner net(options, 10);
  net->eval();
  const auto images = torch::rand({2, 1, 32, 32});
  const auto input = torch::randint(4, 10, {2, 5}, torch::kInt64);
  const torch::Tensor fp32 = net->forward(images, input).logits;

  net->set_precision(Precision::kBf16);
  for (const auto& p : net->parameters()) {
    if (p.dim() == 4) {
      EXPECT_TRUE(p.is_contiguous(torch::MemoryFormat::ChannelsLast));
    }
  }
  EXPECT_EQ(net->start(images, {}).at("keys").scalar_type(), torch::kBFloat16);
  const auto out = net->forward(images, input);
  EXPECT_EQ(out.logits.scalar_type(), torch::kFloat);
  EXPECT_EQ(out.attention.scalar_type(), torch::kFloat);
  EXPECT_GT(max_difference(out.logits, fp32), 0.0);
  EXPECT_LT(max_difference(out.logits, fp32), 0.1);

  net->set_precision(Precision::kFp32);
  for (const auto& p : net->parameters()) EXPECT_TRUE(p.is_contiguous());
  EXPECT_TRUE(torch::equal(net->forward(images, input).logits, fp32));
}

// A model trained to reverse words decodes the same words in bf16 as in fp32, greedy and with a
// beam, and scores them nearly the same.
TEST(SequencePrecision, Bf16DecodingOfATrainedModelAgreesWithFp32) {
  const auto train = reversal_corpus(400, 1);
  const auto dev = reversal_corpus(60, 2);
  auto m = lstm_model(train);
  Seq2SeqTrainOptions options;
  options.epochs = 8;
  options.batch_size = 16;
  options.lr = 1e-2;
  options.patience = 0;
  options.progress = false;
  Seq2SeqTrainer(m, options).fit(train, dev);
  m.model->eval();
  std::vector<Tokens> sources;
  for (const auto& e : dev) sources.push_back(e.source);
  for (const std::int64_t beam : {1, 4}) {
    TranslateOptions decode;
    decode.search.beam = beam;
    m.model->set_precision(Precision::kFp32);
    const auto fp32 = translate(m, sources, decode);
    m.model->set_precision(Precision::kBf16);
    const auto bf16 = translate(m, sources, decode);
    ASSERT_EQ(bf16.size(), fp32.size());
    for (std::size_t i = 0; i < fp32.size(); ++i) {
      EXPECT_EQ(bf16[i][0].tokens, fp32[i][0].tokens) << "beam " << beam << " word " << i;
      // bf16 keeps 8 bits of mantissa: log-probabilities within 0.05 nats per output token.
      const double tokens = static_cast<double>(fp32[i][0].tokens.size() + 1);
      EXPECT_NEAR(bf16[i][0].log_prob, fp32[i][0].log_prob, 0.05 * tokens)
          << "beam " << beam << " word " << i;
    }
  }
}

TEST(SequencePrecision, FilesRecordThePrecisionAndKeepFloat32Weights) {
  TempDir dir;
  const auto corpus = reversal_corpus(12, 1);
  for (const auto precision : {Precision::kFp32, Precision::kBf16}) {
    const auto name = core::to_string(precision);
    auto seq = lstm_model(corpus);
    seq.model->set_precision(precision);
    save_sequence_model(dir / (name + ".pt"), seq);

    LanguageModelFile lm;
    lm.vocabulary = seq.target_vocabulary;
    lm.options.embedding = 8;
    lm.options.hidden = 8;
    lm.options.layers = 1;
    lm.create_network();
    lm.model->set_precision(precision);
    save_language_model(dir / (name + "-lm.pt"), lm);

    CaptionModel caption;
    caption.class_words = {"bar", "dot"};
    caption.options.height = 16;
    caption.options.width = 16;
    caption.options.features = 8;
    caption.create_network();
    caption.model->set_precision(precision);
    save_caption_model(dir / (name + "-caption.pt"), caption);

    for (const auto& file : {name + ".pt", name + "-lm.pt", name + "-caption.pt"}) {
      const auto archive = models::read_archive(dir / file);
      EXPECT_EQ(archive.meta.value("precision", ""), name) << file;
      for (const auto& [key, tensor] : archive.state) {
        if (tensor.is_floating_point()) {
          EXPECT_EQ(tensor.scalar_type(), torch::kFloat) << file << " " << key;
          EXPECT_TRUE(tensor.is_contiguous()) << file << " " << key;
        }
      }
    }
    // Read back in fp32, whatever it was saved in.
    EXPECT_EQ(load_sequence_model(dir / (name + ".pt"), "g2p", torch::kCPU).model->precision(),
              Precision::kFp32);
  }
}

}  // namespace
}  // namespace nnlab::seq2seq
