#include "nnlab/seq2seq/sequence_training.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <set>

#include "data/data_test_util.h"
#include "nnlab/core/error.h"
#include "nnlab/core/execution_context.h"

namespace nnlab::seq2seq {
namespace {

using data::testing_util::contains;
using data::testing_util::error_of;
using data::testing_util::TempDir;

// n words over A-D; the target spells each backwards in lower case, the odd ones with a second
// reference (the same letters upper case).
Corpus letters_corpus(int n) {
  Corpus corpus;
  for (int i = 0; i < n; ++i) {
    Entry e;
    for (int j = 0; j < 2 + i % 3; ++j) e.source.push_back(std::string(1, 'A' + (i + j) % 4));
    for (const auto& s : e.source) e.text += s;
    Tokens target;
    for (auto it = e.source.rbegin(); it != e.source.rend(); ++it)
      target.push_back(std::string(1, static_cast<char>(std::tolower((*it)[0]))));
    e.targets.push_back(target);
    if (i % 2 == 1) e.targets.push_back({"X", "Y"});
    e.line = i + 1;
    corpus.push_back(e);
  }
  return corpus;
}

SequenceTrainingOptions tiny_options(const std::string& output) {
  SequenceTrainingOptions o;
  o.task = "g2p";
  o.model.embedding = 8;
  o.model.encoder_hidden = 8;
  o.model.encoder_layers = 1;
  o.model.decoder_hidden = 8;
  o.model.dropout = 0;
  o.training.epochs = 2;
  o.training.batch_size = 4;
  o.training.progress = false;
  o.output = output;
  o.data = {{"train", "letters"}};
  return o;
}

core::ExecutionContext context_with_seed(std::uint64_t seed) {
  core::ExecutionContext context;
  context.seed = seed;
  return context;
}

TEST(CarveDev, SplitsByEntryAndRefusesEmptySides) {
  const auto all = letters_corpus(40);
  const auto [train, dev] = carve_dev(all, {0.25, 3}, "letters");
  EXPECT_EQ(train.size() + dev.size(), all.size());
  EXPECT_FALSE(dev.empty());
  EXPECT_FALSE(train.empty());
  // The same seed draws the same dev set.
  EXPECT_EQ(carve_dev(all, {0.25, 3}, "letters").second.size(), dev.size());
  EXPECT_TRUE(contains(error_of<core::OptionError>([&] {
                         carve_dev(all, {1.0, 3}, "x");
                       }),
                       "DevSplitOptions.fraction"));
  EXPECT_TRUE(contains(error_of<core::OptionError>([&] {
                         carve_dev(all, {0.0, 3}, "x");
                       }),
                       "must be in (0, 1)"));
  EXPECT_TRUE(contains(error_of<core::FileError>([&] {
                         carve_dev(letters_corpus(1), {0.5, 3}, "one.dict");
                       }),
                       "one.dict: too few entries to carve a dev set"));
}

TEST(CreateSequenceModel, BuildsBothVocabulariesFromEveryTarget) {
  const auto train = letters_corpus(6);
  const auto model = create_sequence_model("g2p", tiny_options("").model, Tokenization::kCharacters,
                                           Tokenization::kWords, train, torch::kCPU);
  EXPECT_EQ(model.task, "g2p");
  EXPECT_EQ(model.source_tokens, Tokenization::kCharacters);
  EXPECT_EQ(model.target_tokens, Tokenization::kWords);
  // A-D and a-d plus X, Y (second references), each beside the four special tokens.
  EXPECT_EQ(model.source_vocabulary.size(), 4 + 4);
  EXPECT_EQ(model.target_vocabulary.size(), 4 + 6);
  EXPECT_TRUE(model.target_vocabulary.unknown_tokens({"X", "Y", "a"}).empty());
  EXPECT_FALSE(model.source_vocabulary.unknown_tokens({"E"}).empty());
  ASSERT_TRUE(model.model);
  auto bad = tiny_options("").model;
  bad.cell = "rnn";
  EXPECT_THROW(create_sequence_model("g2p", bad, Tokenization::kCharacters, Tokenization::kWords,
                                     train, torch::kCPU),
               core::OptionError);
}

TEST(RunSequenceTraining, WritesTheModelWithItsRecipeAndResumes) {
  TempDir dir;
  const auto all = letters_corpus(24);
  const auto [train, dev] = carve_dev(all, {0.25, 1}, "letters");
  auto options = tiny_options(dir / "model.pt");
  options.training.checkpoint_path = dir / "state.pt";
  int starts = 0;
  std::vector<int> epochs;
  SequenceTrainingCallbacks callbacks;
  callbacks.on_start = [&](const SequenceModel& m) {
    ++starts;
    EXPECT_GT(m.model->parameter_count(), 0);
  };
  callbacks.on_epoch = [&](const Seq2SeqEpoch& e) { epochs.push_back(e.epoch); };
  torch::manual_seed(7);
  const auto run = run_sequence_training(options, train, dev, context_with_seed(7), callbacks);
  EXPECT_EQ(starts, 1);
  EXPECT_EQ(epochs, (std::vector<int>{1, 2}));
  EXPECT_EQ(run.training.history.size(), 2u);
  EXPECT_EQ(run.parameters, run.model.model->parameter_count());
  const auto json = run.to_json(options.output);
  EXPECT_EQ(json.at("output"), options.output);
  EXPECT_EQ(json.at("parameters"), run.parameters);
  EXPECT_EQ(json.at("best_epoch"), run.training.best_epoch);

  const auto saved = load_sequence_model(options.output, "g2p", torch::kCPU);
  EXPECT_EQ(saved.training.at("data"), options.data);
  // The context's seed replaces the recipe's.
  EXPECT_EQ(saved.training.at("options").at("seed"), 7);
  EXPECT_EQ(saved.training.at("parameters"), run.parameters);
  EXPECT_EQ(saved.source_vocabulary.size(), run.model.source_vocabulary.size());

  // Resuming the state for a third epoch keeps the first two and their vocabularies.
  auto more = options;
  more.resume = options.training.checkpoint_path;
  more.training.epochs = 3;
  more.output = dir / "more.pt";
  more.model.embedding = 99;  // ignored: the state holds the model
  const auto resumed = run_sequence_training(more, train, dev, context_with_seed(7));
  ASSERT_EQ(resumed.training.history.size(), 3u);
  EXPECT_DOUBLE_EQ(resumed.training.history[0].loss, run.training.history[0].loss);
  EXPECT_EQ(resumed.model.options.embedding, 8);

  auto no_output = options;
  no_output.output.clear();
  EXPECT_TRUE(contains(error_of<core::OptionError>([&] {
                         run_sequence_training(no_output, train, dev, context_with_seed(7));
                       }),
                       "SequenceTrainingOptions.output"));
}

}  // namespace
}  // namespace nnlab::seq2seq
