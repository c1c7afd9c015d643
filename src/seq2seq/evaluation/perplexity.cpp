#include "nnlab/seq2seq/evaluation/perplexity.h"

#include <torch/torch.h>

#include <numeric>

#include "nnlab/text/batching.h"
#include "nnlab/text/vocabulary.h"

namespace nnlab::seq2seq {

nlohmann::json Perplexity::to_json() const {
  return {{"perplexity", per_token()}, {"nll", nll}, {"tokens", tokens}};
}

void for_each_chunk(LanguageModel& model, const torch::Tensor& batch, std::int64_t bptt,
                    const std::function<void(const torch::Tensor&, std::int64_t)>& on_chunk) {
  TORCH_CHECK(bptt > 0, "bptt must be positive");
  const auto inputs = batch.narrow(1, 0, batch.size(1) - 1);
  const auto targets = batch.narrow(1, 1, batch.size(1) - 1);
  DecodingState state;
  for (std::int64_t start = 0; start < inputs.size(1); start += bptt) {
    const auto length = std::min(bptt, inputs.size(1) - start);
    const auto chunk_targets = targets.narrow(1, start, length);
    const auto count = chunk_targets.ne(Vocabulary::kPad).sum().item<std::int64_t>();
    if (count == 0) break;  // only padding is left
    auto [logits, next] = model->forward(inputs.narrow(1, start, length), state);
    const auto nll = torch::nn::functional::cross_entropy(
        logits.reshape({-1, logits.size(2)}), chunk_targets.reshape({-1}),
        torch::nn::functional::CrossEntropyFuncOptions()
            .ignore_index(Vocabulary::kPad)
            .reduction(torch::kSum));
    on_chunk(nll, count);
    state = next.detach();
  }
}

Perplexity model_perplexity(LanguageModel& model,
                            const std::vector<std::vector<std::int64_t>>& documents,
                            std::int64_t batch_size, std::int64_t bptt) {
  const bool was_training = model->is_training();
  model->eval();
  c10::InferenceMode inference;
  std::vector<std::int64_t> order(documents.size());
  std::iota(order.begin(), order.end(), 0);
  // Documents of similar length share a batch.
  std::stable_sort(order.begin(), order.end(), [&](std::int64_t a, std::int64_t b) {
    return documents[static_cast<std::size_t>(a)].size() <
           documents[static_cast<std::size_t>(b)].size();
  });
  Perplexity result;
  for (std::size_t i = 0; i < order.size(); i += static_cast<std::size_t>(batch_size)) {
    const std::vector<std::int64_t> rows(
        order.begin() + static_cast<std::ptrdiff_t>(i),
        order.begin() + static_cast<std::ptrdiff_t>(
                            std::min(order.size(), i + static_cast<std::size_t>(batch_size))));
    const auto batch = make_document_batch(documents, rows, model->device());
    for_each_chunk(model, batch, bptt, [&](const torch::Tensor& nll, std::int64_t count) {
      result.nll += nll.item<double>();
      result.tokens += count;
    });
  }
  model->train(was_training);
  return result;
}

}  // namespace nnlab::seq2seq
