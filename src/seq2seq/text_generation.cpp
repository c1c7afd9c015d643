#include "nnlab/seq2seq/text_generation.h"

#include <torch/types.h>

#include <algorithm>

#include "nnlab/core/error.h"
#include "nnlab/core/execution_context.h"
#include "nnlab/text/text_corpus.h"

namespace nnlab::seq2seq {

namespace {

// Tokens as text: characters joined as they are, words by spaces, never a space around a line
// break.
std::string detokenize(const Tokens& tokens, Tokenization tokenization) {
  const std::string separator = tokenization == Tokenization::kCharacters ? "" : " ";
  std::string text;
  for (std::size_t i = 0; i < tokens.size(); ++i) {
    const bool line_break = tokens[i] == kNewline;
    if (i > 0 && !line_break && tokens[i - 1] != kNewline) text += separator;
    text += tokens[i];
  }
  return text;
}

}  // namespace

GenerationResult generate_text(LanguageModelFile& model, const GenerationOptions& options,
                               const core::ExecutionContext& context) {
  if (options.max_tokens < 1)
    throw core::OptionError("GenerationOptions.max_tokens", "must be >= 1");
  if (options.samples < 1) throw core::OptionError("GenerationOptions.samples", "must be >= 1");
  if (options.search.temperature == 0 && options.search.beam == 1 && options.samples > 1)
    throw core::OptionError("GenerationOptions.samples",
                            "greedy decoding (temperature 0) gives one output");
  const auto prompt = tokenize_text(options.prompt, model.tokens);
  const auto unknown = model.vocabulary.unknown_tokens(prompt);
  if (!unknown.empty()) {
    std::string listed;
    for (const auto& token : unknown) listed += (listed.empty() ? "'" : "', '") + token;
    throw core::OptionError("GenerationOptions.prompt",
                            listed + "' never seen in training by this model");
  }
  auto search = options.search;
  search.prefix = model.vocabulary.encode(prompt);
  search.allow_unknown = false;
  search.max_length_a = 0;
  search.max_length_b = static_cast<std::int64_t>(search.prefix.size()) + options.max_tokens;
  search.seed = context.seed;
  const auto rows = search.beam > 1 ? 1 : options.samples;
  const auto source =
      torch::zeros({rows, 1}, torch::TensorOptions().dtype(torch::kInt64).device(context.device));
  const auto lengths = torch::ones({rows}, torch::kInt64);
  const auto results = seq2seq::search(*model.model, source, lengths, search);

  GenerationResult generated;
  for (const auto& list : results) {
    for (const auto& h : list) {
      const auto tokens = model.vocabulary.decode(h.tokens);
      const Tokens continuation(
          tokens.begin() + static_cast<std::ptrdiff_t>(std::min(prompt.size(), tokens.size())),
          tokens.end());
      GeneratedText sample;
      sample.text = detokenize(tokens, model.tokens);
      sample.log_prob = h.log_prob;
      sample.finished = h.finished;
      sample.verse = verse_form(continuation, h.finished);
      generated.verse += sample.verse;
      generated.samples.push_back(std::move(sample));
    }
  }
  return generated;
}

}  // namespace nnlab::seq2seq
