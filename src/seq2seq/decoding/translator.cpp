#include "nnlab/seq2seq/decoding/translator.h"

#include <torch/torch.h>

#include <algorithm>
#include <numeric>

#include "nnlab/core/error.h"
#include "nnlab/text/batching.h"

namespace nnlab::seq2seq {

std::vector<std::vector<Hypothesis>> translate(SequenceModel& model,
                                               const std::vector<Tokens>& sources,
                                               const TranslateOptions& options) {
  model.model->eval();
  return translate(*model.model, model.source_vocabulary, sources, options);
}

std::vector<std::vector<Hypothesis>> translate(StepDecoder& decoder,
                                               const Vocabulary& source_vocabulary,
                                               const std::vector<Tokens>& sources,
                                               const TranslateOptions& options) {
  options.search.validate();
  TORCH_CHECK(options.batch_size > 0, "batch size must be positive");
  std::vector<Example> examples;
  examples.reserve(sources.size());
  for (const auto& s : sources) examples.push_back({source_vocabulary.encode(s), {}, 0});
  std::vector<std::int64_t> order(sources.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](std::int64_t a, std::int64_t b) {
    return examples[static_cast<std::size_t>(a)].source.size() <
           examples[static_cast<std::size_t>(b)].source.size();
  });
  const auto device = decoder.device();
  std::vector<std::vector<Hypothesis>> results(sources.size());
  for (std::size_t start = 0; start < order.size();
       start += static_cast<std::size_t>(options.batch_size)) {
    const auto stop = std::min(order.size(), start + static_cast<std::size_t>(options.batch_size));
    const std::vector<std::int64_t> rows(order.begin() + static_cast<std::ptrdiff_t>(start),
                                         order.begin() + static_cast<std::ptrdiff_t>(stop));
    const auto batch = make_batch(examples, rows, device, /*include_target=*/false);
    auto found = search(decoder, batch.source, batch.source_lengths, options.search);
    for (std::size_t i = 0; i < rows.size(); ++i)
      results[static_cast<std::size_t>(rows[i])] = std::move(found[i]);
  }
  return results;
}

std::vector<Tokens> best_outputs(const SequenceModel& model,
                                 const std::vector<std::vector<Hypothesis>>& results) {
  std::vector<Tokens> outputs;
  outputs.reserve(results.size());
  for (const auto& list : results) {
    outputs.push_back(list.empty() ? Tokens{}
                                   : model.target_vocabulary.decode(list.front().tokens));
  }
  return outputs;
}

void check_known(const Corpus& corpus, const Vocabulary& vocabulary, const std::string& source) {
  for (const auto& entry : corpus) {
    const auto unknown = vocabulary.unknown_tokens(entry.source);
    if (!unknown.empty()) {
      throw core::FileError(source, "line " + std::to_string(entry.line) + ": '" + entry.text +
                                        "' contains '" + unknown.front() +
                                        "', never seen in training");
    }
  }
}

}  // namespace nnlab::seq2seq
