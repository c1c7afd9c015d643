// Turning token-id sequences into padded batches. Batches are bucketed by length (examples of
// similar length share a batch, so little of a batch is padding) and carry the lengths from which
// the models build their padding masks.
#pragma once

#include <torch/types.h>

#include <cstdint>
#include <vector>

#include "nnlab/text/corpus.h"
#include "nnlab/text/vocabulary.h"

namespace nnlab::seq2seq {

struct Example {
  std::vector<std::int64_t> source;
  std::vector<std::int64_t> target;  // without begin and end symbols
  std::int64_t entry = 0;            // index of its entry in the corpus
};

// One example per (entry, target) pair.
std::vector<Example> make_examples(const Corpus& corpus, const Vocabulary& source_vocabulary,
                                   const Vocabulary& target_vocabulary);

struct Batch {
  torch::Tensor source;                // B x S, int64, padded with Vocabulary::kPad
  torch::Tensor source_lengths;        // B, int64
  torch::Tensor target_input;          // B x T: <s> y1 .. yn, padded (undefined without targets)
  torch::Tensor target_output;         // B x T: y1 .. yn </s>, padded
  std::vector<std::int64_t> rows;      // the examples' indices
  std::int64_t target_tokens() const;  // non-pad entries of target_output
};

// Pads the given examples into one batch on `device`. With include_target false only the
// source is filled (decoding).
Batch make_batch(const std::vector<Example>& examples, const std::vector<std::int64_t>& rows,
                 torch::Device device, bool include_target = true);

struct BucketOptions {
  std::int64_t batch_size = 64;  // examples per batch
  // Examples are sorted by length inside pools of pool_batches * batch_size shuffled examples.
  std::int64_t pool_batches = 50;
  bool shuffle = true;  // shuffle the examples before pooling and the batches after
  std::uint64_t seed = 0;
};

// Index lists of the batches over examples [0, n): every example exactly once.
std::vector<std::vector<std::int64_t>> bucket_batches(const std::vector<Example>& examples,
                                                      const BucketOptions& options);

// Documents for a language model, padded into one B x (L + 2) batch on `device`: each row is
// <s> x1 .. xn </s> followed by padding (L: the longest document of `rows`).
torch::Tensor make_document_batch(const std::vector<std::vector<std::int64_t>>& documents,
                                  const std::vector<std::int64_t>& rows, torch::Device device);

// B x S bool: true at real (non-pad) positions of sequences with these lengths.
torch::Tensor length_mask(const torch::Tensor& lengths, std::int64_t max_length);

}  // namespace nnlab::seq2seq
