#include "nnlab/seq2seq/seq2seq_trainer.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <limits>
#include <random>

#include "data/data_test_util.h"
#include "nnlab/core/error.h"
#include "nnlab/seq2seq/caption_trainer.h"
#include "nnlab/seq2seq/decoding/translator.h"
#include "nnlab/seq2seq/lm_trainer.h"
#include "nnlab/text/sequence_metrics.h"
#include "nnlab/train/divergence.h"
#include "seq2seq/reversal_corpus.h"

namespace nnlab::seq2seq {
namespace {

using data::testing_util::TempDir;

using test_util::reversal_corpus;

SequenceModel toy_model(const Corpus& train) {
  torch::manual_seed(0);
  SequenceModel m;
  m.task = "g2p";
  m.options.embedding = 16;
  m.options.encoder_hidden = 32;
  m.options.encoder_layers = 1;
  m.options.decoder_hidden = 32;
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

Seq2SeqTrainOptions toy_options(int epochs) {
  Seq2SeqTrainOptions o;
  o.epochs = epochs;
  o.batch_size = 16;
  o.lr = 1e-2;
  o.patience = 0;
  o.average_last = 2;
  o.progress = false;
  return o;
}

TEST(Seq2SeqTrainer, LearnsToReverseWords) {
  const auto train = reversal_corpus(400, 1);
  const auto dev = reversal_corpus(60, 2);
  auto model = toy_model(train);
  auto options = toy_options(12);
  options.attention_lambda = 0.1;
  options.sampling.schedule = "linear";
  options.sampling.slope = 0.02;
  Seq2SeqTrainer trainer(model, options);
  const auto result = trainer.fit(train, dev);
  ASSERT_EQ(result.history.size(), 12u);
  EXPECT_LT(result.history.back().loss, result.history.front().loss * 0.5);
  EXPECT_GT(result.history.front().dev_wer, 50.0);
  EXPECT_LT(result.dev_wer, 20.0);
  EXPECT_GT(result.history.front().attention_penalty, 0.0);
  EXPECT_LT(result.history.back().teacher_forcing, 1.0);
  // The kept weights are in the model: greedy decoding reproduces the reported dev WER.
  std::vector<Tokens> sources;
  for (const auto& e : dev) sources.push_back(e.source);
  const auto outputs = best_outputs(model, translate(model, sources, {}));
  EXPECT_NEAR(score_sequences(dev, outputs).total.wer(), result.dev_wer, 1e-9);
}

// A rate far past any the command line takes (its flags stop at 2^53) overflows the logits
// within a few batches: the trainer stops at the first non-finite loss, naming the step.
TEST(Seq2SeqTrainer, ANonFiniteLossStopsTrainingAtItsStep) {
  const auto train = reversal_corpus(40, 1);
  const auto dev = reversal_corpus(10, 2);
  auto model = toy_model(train);
  auto options = toy_options(2);
  options.batch_size = 2;
  options.lr = 1e37;
  try {
    Seq2SeqTrainer(model, options).fit(train, dev);
    FAIL() << "training at lr 1e37 did not diverge";
  } catch (const train::DivergenceError& e) {
    EXPECT_EQ(e.epoch(), 1) << e.what();
    EXPECT_NE(std::string(e.what()).find("training diverged: the "), std::string::npos);
    EXPECT_NE(std::string(e.what()).find("is probably too high"), std::string::npos);
  }
}

TEST(Seq2SeqTrainer, ResumedRunEqualsTheUninterruptedOne) {
  const auto train = reversal_corpus(120, 3);
  const auto dev = reversal_corpus(30, 4);
  for (const std::string schedule : {"plateau", "cosine"}) {
    TempDir dir;
    auto whole = toy_model(train);
    auto options = toy_options(4);
    options.lr_schedule = schedule;
    const auto all = Seq2SeqTrainer(whole, options).fit(train, dev);

    // The same run, stopped after its second epoch (as by a kill: the callback comes after the
    // state is written), then resumed. The cosine's rate depends on the planned epochs, so the
    // interrupted run plans 4 as well.
    auto first = toy_model(train);
    options.checkpoint_path = dir / "state.pt";
    struct Interrupted {};
    EXPECT_THROW(Seq2SeqTrainer(first, options)
                     .fit(train, dev,
                          [](const Seq2SeqEpoch& e) {
                            if (e.epoch == 2) throw Interrupted{};
                          }),
                 Interrupted);

    auto resumed = toy_model(train);
    Seq2SeqTrainer trainer(resumed, options);
    trainer.resume(models::read_archive(options.checkpoint_path), options.checkpoint_path);
    const auto rest = trainer.fit(train, dev);
    ASSERT_EQ(rest.history.size(), 4u) << schedule;
    for (std::size_t i = 0; i < 4; ++i) {
      EXPECT_NEAR(rest.history[i].loss, all.history[i].loss, 1e-5)
          << schedule << " epoch " << i + 1;
      EXPECT_DOUBLE_EQ(rest.history[i].dev_wer, all.history[i].dev_wer)
          << schedule << " epoch " << i + 1;
      EXPECT_DOUBLE_EQ(rest.history[i].lr, all.history[i].lr) << schedule << " epoch " << i + 1;
    }
    EXPECT_EQ(rest.kept, all.kept) << schedule;
    EXPECT_DOUBLE_EQ(rest.dev_wer, all.dev_wer) << schedule;
  }
}

TEST(Seq2SeqTrainer, CosineRateFallsFromTheRateToZeroOverTheEpochs) {
  const auto train = reversal_corpus(60, 6);
  const auto dev = reversal_corpus(20, 7);
  auto model = toy_model(train);
  auto options = toy_options(4);
  options.lr_schedule = "cosine";
  options.lr = 8e-3;
  const auto result = Seq2SeqTrainer(model, options).fit(train, dev);
  ASSERT_EQ(result.history.size(), 4u);
  // lr * (1 + cos(pi * (epoch - 1) / 4)) / 2 at each epoch's start, whatever dev WER does.
  const double expected[] = {8e-3, 8e-3 * 0.853553390593, 4e-3, 8e-3 * 0.146446609407};
  for (std::size_t i = 0; i < 4; ++i)
    EXPECT_NEAR(result.history[i].lr, expected[i], 1e-12) << "epoch " << i + 1;
}

TEST(Seq2SeqTrainer, RefusesAFileWithoutTrainingState) {
  const auto train = reversal_corpus(20, 5);
  TempDir dir;
  auto model = toy_model(train);
  save_sequence_model(dir / "final.pt", model);
  Seq2SeqTrainer trainer(model, toy_options(1));
  EXPECT_THROW(trainer.resume(models::read_archive(dir / "final.pt"), dir / "final.pt"),
               core::FileError);
}

TEST(Seq2SeqTrainer, BadOptionsAreRejected) {
  Seq2SeqTrainOptions o;
  o.label_smoothing = 1.0;
  EXPECT_THROW(o.validate(), core::OptionError);
  o = {};
  o.attention_lambda = -1;
  EXPECT_THROW(o.validate(), core::OptionError);
  o = {};
  o.sampling.schedule = "sometimes";
  EXPECT_THROW(o.validate(), core::OptionError);
  o = {};
  o.lr_schedule = "sometimes";
  EXPECT_THROW(o.validate(), core::OptionError);
}

}  // namespace
// The three seq2seq-side trainers share train::check_learning_rate; each error names its own field.
TEST(Seq2SeqTrainer, EveryTrainerNamesItsOwnLearningRateField) {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  auto message_of = [](const auto& options) {
    try {
      options.validate();
    } catch (const core::OptionError& e) {
      return std::string(e.what());
    }
    return std::string("accepted");
  };
  Seq2SeqTrainOptions seq2seq;
  seq2seq.lr = nan;
  EXPECT_EQ(message_of(seq2seq), "Seq2SeqTrainOptions.lr: must be a finite number > 0, got nan");
  LmTrainOptions lm;
  lm.lr = -1;
  EXPECT_EQ(message_of(lm), "LmTrainOptions.lr: must be a finite number > 0, got -1");
  CaptionTrainOptions caption;
  caption.lr = std::numeric_limits<double>::infinity();
  EXPECT_EQ(message_of(caption), "CaptionTrainOptions.lr: must be a finite number > 0, got inf");
}

}  // namespace nnlab::seq2seq
