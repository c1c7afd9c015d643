#include "nnlab/seq2seq/lm_training.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include "data/data_test_util.h"
#include "nnlab/core/error.h"
#include "nnlab/core/execution_context.h"

namespace nnlab::seq2seq {
namespace {

using data::testing_util::contains;
using data::testing_util::error_of;
using data::testing_util::TempDir;
using data::testing_util::write_bytes;

// 60 paragraphs of plain text over a few words, a blank line between them.
std::string paragraphs() {
  const char* words[] = {"the", "cat", "sat", "on", "a", "mat", "dog", "ran"};
  std::string text;
  for (int i = 0; i < 60; ++i) {
    for (int j = 0; j < 3 + i % 4; ++j) {
      text += j > 0 ? " " : "";
      text += words[(i * 3 + j * 5) % 8];
    }
    text += "\n" + std::to_string(i) + "\n\n";  // the number makes every paragraph distinct
  }
  return text;
}

LmTrainingOptions tiny_options(const TempDir& dir) {
  LmTrainingOptions o;
  o.data.text = {dir / "text"};
  o.data.heldout_percent = 20;
  o.data.dev_percent = 20;
  o.tokens = Tokenization::kWords;
  o.min_count = 1;
  o.model.embedding = 8;
  o.model.hidden = 8;
  o.model.layers = 1;
  o.model.dropout = 0;
  o.training.epochs = 2;
  o.training.batch_size = 8;
  o.training.progress = false;
  o.output = dir / "model.lm";
  return o;
}

core::ExecutionContext context_with_seed(std::uint64_t seed) {
  core::ExecutionContext context;
  context.seed = seed;
  return context;
}

TEST(LmData, ReadsEveryFileAndSplitsByDocument) {
  TempDir dir;
  write_bytes(dir / "text", paragraphs());
  write_bytes(dir / "more", "one more\n");
  const auto split =
      read_document_split({{dir / "text", dir / "more"}, 20, 20}, Tokenization::kWords);
  EXPECT_EQ(split.train.size() + split.dev.size() + split.heldout.size(), 61u);
  EXPECT_FALSE(split.heldout.empty());
  EXPECT_FALSE(split.dev.empty());
  // No held-out part when none is asked for.
  EXPECT_TRUE(read_document_split({{dir / "text"}, 0, 20}, Tokenization::kWords).heldout.empty());

  const Tokens seen = {"the", "cat"};
  const auto vocabulary = Vocabulary::build({&seen});
  Document d;
  d.tokens = {"cat", "the", "zebra"};
  const auto ids = encode_documents(vocabulary, {d});
  ASSERT_EQ(ids.size(), 1u);
  EXPECT_EQ(ids[0], vocabulary.encode(d.tokens));
  EXPECT_EQ(ids[0][2], Vocabulary::kUnknown);
}

TEST(LmData, RecordedSplitReadsTheModelsOrTheDefaults) {
  LanguageModelFile model;
  auto split = recorded_split(model, {"a"});
  EXPECT_EQ(split.text, std::vector<std::string>{"a"});
  EXPECT_EQ(split.heldout_percent, 10);
  EXPECT_EQ(split.dev_percent, 5);
  model.training = {{"data", {{"heldout_percent", 30}, {"dev_percent", 7}}}};
  split = recorded_split(model, {"b"});
  EXPECT_EQ(split.heldout_percent, 30);
  EXPECT_EQ(split.dev_percent, 7);
}

TEST(RunLmTraining, WritesTheSplitAndHeldOutTableAndResumes) {
  TempDir dir;
  write_bytes(dir / "text", paragraphs());
  auto options = tiny_options(dir);
  options.training.checkpoint_path = dir / "state.pt";
  LmDataSummary seen;
  std::vector<int> epochs;
  LmTrainingCallbacks callbacks;
  callbacks.on_start = [&](const LanguageModelFile&, const LmDataSummary& s) { seen = s; };
  callbacks.on_epoch = [&](const LmEpoch& e) { epochs.push_back(e.epoch); };
  torch::manual_seed(3);
  const auto run = run_lm_training(options, context_with_seed(3), callbacks);
  EXPECT_EQ(epochs, (std::vector<int>{1, 2}));
  EXPECT_EQ(seen.train_documents, run.data.train_documents);
  EXPECT_EQ(run.data.train_documents + run.data.dev_documents + run.data.heldout_documents, 60);
  EXPECT_GT(run.data.train_tokens, run.data.train_documents);
  // The held-out table: the network and two baselines.
  ASSERT_EQ(run.heldout.size(), 3u);
  EXPECT_EQ(run.heldout[0].model, "rnn (lstm)");
  const auto json = run.to_json(options.output);
  EXPECT_EQ(json.at("heldout").size(), 3u);
  EXPECT_EQ(json.at("output"), options.output);

  auto saved = load_language_model(options.output, torch::kCPU);
  const auto& data = saved.training.at("data");
  EXPECT_EQ(data.at("heldout_percent"), 20);
  EXPECT_EQ(data.at("dev_percent"), 20);
  EXPECT_EQ(data.at("train_documents"), run.data.train_documents);
  EXPECT_EQ(saved.training.at("options").at("seed"), 3);
  EXPECT_EQ(saved.tokens, Tokenization::kWords);

  // The state carries the split: a resume with other percentages reads the recorded ones.
  auto more = options;
  more.resume = options.training.checkpoint_path;
  more.training.epochs = 3;
  more.data.heldout_percent = 0;
  more.output = dir / "more.lm";
  const auto resumed = run_lm_training(more, context_with_seed(3));
  ASSERT_EQ(resumed.training.history.size(), 3u);
  EXPECT_DOUBLE_EQ(resumed.training.history[1].loss, run.training.history[1].loss);
  EXPECT_EQ(resumed.data.heldout_documents, run.data.heldout_documents);

  // A finished model file records its split too; a file without one is no training state.
  saved.training = nlohmann::json::object();
  save_language_model(dir / "bare.lm", saved);
  auto bare = options;
  bare.resume = dir / "bare.lm";
  EXPECT_TRUE(
      contains(error_of<core::FileError>([&] { run_lm_training(bare, context_with_seed(3)); }),
               "not a training state"));
  auto rare = options;
  rare.min_count = 0;
  EXPECT_TRUE(
      contains(error_of<core::OptionError>([&] { run_lm_training(rare, context_with_seed(3)); }),
               "LmTrainingOptions.min_count"));
}

TEST(EvaluateLanguageModel, ScoresTheChosenPartOfTheRecordedSplit) {
  TempDir dir;
  write_bytes(dir / "text", paragraphs());
  auto options = tiny_options(dir);
  options.training.epochs = 1;
  torch::manual_seed(3);
  auto run = run_lm_training(options, context_with_seed(3));
  auto model = load_language_model(options.output, torch::kCPU);
  LmEvaluationOptions evaluation;
  evaluation.text = options.data.text;
  const auto heldout = evaluate_language_model(model, evaluation);
  ASSERT_EQ(heldout.size(), 1u);
  // The same documents as the training run's own held-out row.
  EXPECT_EQ(heldout[0].perplexity.tokens, run.heldout[0].perplexity.tokens);
  EXPECT_NEAR(heldout[0].perplexity.nll, run.heldout[0].perplexity.nll, 1e-3);
  evaluation.split = "all";
  evaluation.baselines = true;
  const auto all = evaluate_language_model(model, evaluation);
  ASSERT_EQ(all.size(), 3u);
  EXPECT_GT(all[0].perplexity.tokens, heldout[0].perplexity.tokens);
  evaluation.split = "test";
  EXPECT_TRUE(
      contains(error_of<core::OptionError>([&] { evaluate_language_model(model, evaluation); }),
               "LmEvaluationOptions.split: heldout, dev, train or all, not test"));
}

}  // namespace
}  // namespace nnlab::seq2seq
