// Text from a language model: a prompt continued by sampling (temperature, top-k), greedy search
// (temperature 0) or beam search, as text in the model's tokenization, with the verse form of
// each continuation counted (text/verse_form.h) — the lecture's generation: given "床", emit
// "前", feed it back, go on.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "nnlab/seq2seq/decoding/search.h"
#include "nnlab/seq2seq/models/language_model_file.h"
#include "nnlab/text/verse_form.h"

namespace nnlab::core {
struct ExecutionContext;
}

namespace nnlab::seq2seq {

struct GenerationOptions {
  std::string prompt;            // the start, in the model's tokenization (may be empty)
  std::int64_t max_tokens = 64;  // generated after the prompt; >= 1
  std::int64_t samples = 1;      // independent samples, one batch (beam search: one list)
  // temperature (0: greedy), top_k, beam, n_best, length_penalty. The prefix, the maximum length,
  // the seed (the execution context's) and allow_unknown (false: <unk> is never written) are set
  // by generate_text.
  SearchOptions search = sampling();

  static SearchOptions sampling() {
    SearchOptions o;
    o.temperature = 1.0;
    return o;
  }
};

struct GeneratedText {
  std::string text;  // the prompt and its continuation; words joined by spaces, lines by "\n"
  double log_prob = 0;
  bool finished = false;  // ended by the model (</s>), not by max_tokens
  VerseForm verse;        // of the continuation
};

struct GenerationResult {
  std::vector<GeneratedText> samples;  // samples in order, or a beam's n-best list
  VerseForm verse;                     // summed over the samples
};

// Throws core::OptionError for invalid options or a prompt token the model never saw in
// training (an error rather than a silent <unk>).
GenerationResult generate_text(LanguageModelFile& model, const GenerationOptions& options,
                               const core::ExecutionContext& context);

}  // namespace nnlab::seq2seq
