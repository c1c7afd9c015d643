#include "nnlab/text/batching.h"

#include <torch/torch.h>

#include <algorithm>
#include <numeric>
#include <random>

namespace nnlab::seq2seq {

std::vector<Example> make_examples(const Corpus& corpus, const Vocabulary& source_vocabulary,
                                   const Vocabulary& target_vocabulary) {
  std::vector<Example> examples;
  for (std::size_t i = 0; i < corpus.size(); ++i) {
    const auto source = source_vocabulary.encode(corpus[i].source);
    for (const auto& target : corpus[i].targets) {
      examples.push_back({source, target_vocabulary.encode(target), static_cast<std::int64_t>(i)});
    }
  }
  return examples;
}

std::int64_t Batch::target_tokens() const {
  return target_output.defined() ? target_output.ne(Vocabulary::kPad).sum().item<std::int64_t>()
                                 : 0;
}

Batch make_batch(const std::vector<Example>& examples, const std::vector<std::int64_t>& rows,
                 torch::Device device, bool include_target) {
  const auto n = static_cast<std::int64_t>(rows.size());
  std::int64_t max_source = 1;
  std::int64_t max_target = 1;
  for (const auto row : rows) {
    const auto& e = examples[static_cast<std::size_t>(row)];
    max_source = std::max<std::int64_t>(max_source, static_cast<std::int64_t>(e.source.size()));
    max_target = std::max<std::int64_t>(max_target, static_cast<std::int64_t>(e.target.size()) + 1);
  }
  auto source = torch::full({n, max_source}, Vocabulary::kPad, torch::kInt64);
  auto source_lengths = torch::empty({n}, torch::kInt64);
  auto s = source.accessor<std::int64_t, 2>();
  auto sl = source_lengths.accessor<std::int64_t, 1>();
  torch::Tensor input, output;
  if (include_target) {
    input = torch::full({n, max_target}, Vocabulary::kPad, torch::kInt64);
    output = torch::full({n, max_target}, Vocabulary::kPad, torch::kInt64);
  }
  for (std::int64_t b = 0; b < n; ++b) {
    const auto& e = examples[static_cast<std::size_t>(rows[static_cast<std::size_t>(b)])];
    const auto length = static_cast<std::int64_t>(e.source.size());
    for (std::int64_t i = 0; i < length; ++i) s[b][i] = e.source[static_cast<std::size_t>(i)];
    sl[b] = std::max<std::int64_t>(length, 1);  // an empty source still has one (pad) step
    if (!include_target) continue;
    auto in = input.accessor<std::int64_t, 2>();
    auto out = output.accessor<std::int64_t, 2>();
    in[b][0] = Vocabulary::kBegin;
    const auto t_len = static_cast<std::int64_t>(e.target.size());
    for (std::int64_t t = 0; t < t_len; ++t) {
      in[b][t + 1] = e.target[static_cast<std::size_t>(t)];
      out[b][t] = e.target[static_cast<std::size_t>(t)];
    }
    out[b][t_len] = Vocabulary::kEnd;
  }
  Batch batch;
  batch.source = source.to(device);
  batch.source_lengths = source_lengths;  // stays on the CPU: packing wants it there
  if (include_target) {
    batch.target_input = input.to(device);
    batch.target_output = output.to(device);
  }
  batch.rows = rows;
  return batch;
}

std::vector<std::vector<std::int64_t>> bucket_batches(const std::vector<Example>& examples,
                                                      const BucketOptions& options) {
  TORCH_CHECK(options.batch_size > 0, "batch size must be positive");
  std::vector<std::int64_t> order(examples.size());
  std::iota(order.begin(), order.end(), 0);
  std::mt19937_64 rng(options.seed);
  if (options.shuffle) std::shuffle(order.begin(), order.end(), rng);
  const auto length = [&](std::int64_t i) {
    const auto& e = examples[static_cast<std::size_t>(i)];
    return std::make_pair(e.source.size(), e.target.size());
  };
  const auto pool = std::max<std::int64_t>(1, options.pool_batches) * options.batch_size;
  std::vector<std::vector<std::int64_t>> batches;
  for (std::size_t start = 0; start < order.size(); start += static_cast<std::size_t>(pool)) {
    const auto end = std::min(order.size(), start + static_cast<std::size_t>(pool));
    std::stable_sort(order.begin() + static_cast<std::ptrdiff_t>(start),
                     order.begin() + static_cast<std::ptrdiff_t>(end),
                     [&](std::int64_t a, std::int64_t b) { return length(a) < length(b); });
    for (auto i = start; i < end; i += static_cast<std::size_t>(options.batch_size)) {
      const auto stop = std::min(end, i + static_cast<std::size_t>(options.batch_size));
      batches.emplace_back(order.begin() + static_cast<std::ptrdiff_t>(i),
                           order.begin() + static_cast<std::ptrdiff_t>(stop));
    }
  }
  if (options.shuffle) std::shuffle(batches.begin(), batches.end(), rng);
  return batches;
}

torch::Tensor make_document_batch(const std::vector<std::vector<std::int64_t>>& documents,
                                  const std::vector<std::int64_t>& rows, torch::Device device) {
  std::size_t longest = 0;
  for (const auto r : rows)
    longest = std::max(longest, documents[static_cast<std::size_t>(r)].size());
  const auto width = static_cast<std::int64_t>(longest) + 2;
  auto batch =
      torch::full({static_cast<std::int64_t>(rows.size()), width}, Vocabulary::kPad, torch::kInt64);
  auto* data = batch.data_ptr<std::int64_t>();
  for (std::size_t i = 0; i < rows.size(); ++i) {
    const auto& doc = documents[static_cast<std::size_t>(rows[i])];
    auto* row = data + static_cast<std::int64_t>(i) * width;
    row[0] = Vocabulary::kBegin;
    std::copy(doc.begin(), doc.end(), row + 1);
    row[doc.size() + 1] = Vocabulary::kEnd;
  }
  return batch.to(device);
}

torch::Tensor length_mask(const torch::Tensor& lengths, std::int64_t max_length) {
  const auto positions = torch::arange(max_length, lengths.options()).unsqueeze(0);
  return positions < lengths.unsqueeze(1);
}

}  // namespace nnlab::seq2seq
