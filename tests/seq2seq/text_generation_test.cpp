#include "nnlab/seq2seq/text_generation.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include "data/data_test_util.h"
#include "nnlab/core/error.h"
#include "nnlab/core/execution_context.h"
#include "nnlab/text/text_corpus.h"

namespace nnlab::seq2seq {
namespace {

using data::testing_util::contains;
using data::testing_util::error_of;

LanguageModelFile tiny_model(Tokenization tokens, const Tokens& seen) {
  torch::manual_seed(4);
  LanguageModelFile m;
  m.tokens = tokens;
  m.vocabulary = Vocabulary::build({&seen});
  m.options.cell = "lstm";
  m.options.embedding = 6;
  m.options.hidden = 6;
  m.options.layers = 1;
  m.options.dropout = 0;
  m.create_network();
  m.model->eval();
  return m;
}

core::ExecutionContext context_with_seed(std::uint64_t seed) {
  core::ExecutionContext context;
  context.seed = seed;
  return context;
}

TEST(GenerateText, SamplesContinueThePromptReproduciblyUnderASeed) {
  auto m = tiny_model(Tokenization::kCharacters, {"床", "前", "明", "月", "光", "，", "。", "\n"});
  GenerationOptions options;
  options.prompt = "床前";
  options.max_tokens = 6;
  options.samples = 4;
  const auto a = generate_text(m, options, context_with_seed(11));
  ASSERT_EQ(a.samples.size(), 4u);
  std::int64_t lines = 0;
  for (const auto& s : a.samples) {
    EXPECT_EQ(s.text.rfind("床前", 0), 0u) << s.text;  // the prompt starts every sample
    const auto tokens = tokenize_text(s.text, Tokenization::kCharacters);
    EXPECT_LE(tokens.size(), 2u + 6u);
    if (!s.finished) {
      EXPECT_EQ(tokens.size(), 8u) << s.text;  // cut at max_tokens
    }
    EXPECT_TRUE(std::isfinite(s.log_prob));
    EXPECT_LE(s.log_prob, 0.0);
    EXPECT_EQ(s.text.find("<unk>"), std::string::npos);
    lines += s.verse.lines;
  }
  EXPECT_EQ(a.verse.lines, lines);
  // The same seed gives the same samples; another seed (almost surely) others.
  const auto b = generate_text(m, options, context_with_seed(11));
  const auto c = generate_text(m, options, context_with_seed(12));
  bool differs = false;
  for (std::size_t i = 0; i < a.samples.size(); ++i) {
    EXPECT_EQ(a.samples[i].text, b.samples[i].text);
    differs = differs || a.samples[i].text != c.samples[i].text;
  }
  EXPECT_TRUE(differs);
}

TEST(GenerateText, GreedyAndBeamGiveTheMostLikelyOutputs) {
  auto m = tiny_model(Tokenization::kWords, {"the", "cat", "sat", "\n"});
  GenerationOptions options;
  options.prompt = "the cat";
  options.max_tokens = 4;
  options.search.temperature = 0;
  const auto greedy = generate_text(m, options, context_with_seed(1));
  ASSERT_EQ(greedy.samples.size(), 1u);
  // Words are joined by single spaces; the seed does not matter to greedy search.
  EXPECT_EQ(greedy.samples[0].text.rfind("the cat", 0), 0u);
  EXPECT_EQ(greedy.samples[0].text.find("  "), std::string::npos);
  EXPECT_EQ(generate_text(m, options, context_with_seed(2)).samples[0].text,
            greedy.samples[0].text);

  options.search.beam = 3;
  options.search.n_best = 2;
  const auto beam = generate_text(m, options, context_with_seed(1));
  ASSERT_EQ(beam.samples.size(), 2u);
  for (const auto& s : beam.samples) EXPECT_EQ(s.text.rfind("the cat", 0), 0u) << s.text;
  EXPECT_NE(beam.samples[0].text, beam.samples[1].text);
}

TEST(GenerateText, RefusesUnknownPromptsAndImpossibleRequests) {
  auto m = tiny_model(Tokenization::kCharacters, {"a", "b"});
  GenerationOptions options;
  options.prompt = "abz";
  EXPECT_TRUE(contains(
      error_of<core::OptionError>([&] { generate_text(m, options, context_with_seed(1)); }),
      "GenerationOptions.prompt: 'z' never seen in training"));
  options.prompt = "a";
  options.samples = 2;
  options.search.temperature = 0;
  EXPECT_TRUE(contains(
      error_of<core::OptionError>([&] { generate_text(m, options, context_with_seed(1)); }),
      "GenerationOptions.samples: greedy decoding (temperature 0) gives one output"));
  options.samples = 1;
  options.max_tokens = 0;
  EXPECT_TRUE(contains(
      error_of<core::OptionError>([&] { generate_text(m, options, context_with_seed(1)); }),
      "GenerationOptions.max_tokens"));
}

}  // namespace
}  // namespace nnlab::seq2seq
