// Test helper: a sequence model small enough to build in milliseconds (letters A-C to the phones
// AH, B, K; GRU, additive attention), its weights drawn from `seed`, in eval mode.
#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <string>

#include "nnlab/seq2seq/models/model_file.h"

namespace nnlab::seq2seq::test_util {

inline SequenceModel tiny_model(const std::string& task, std::uint64_t seed = 5) {
  torch::manual_seed(seed);
  SequenceModel m;
  m.task = task;
  m.options.embedding = 6;
  m.options.encoder_hidden = 5;
  m.options.decoder_hidden = 7;
  m.options.cell = "gru";
  m.options.attention = "additive";
  const Tokens letters = {"A", "B", "C"};
  const Tokens phones = {"AH", "B", "K"};
  m.source_vocabulary = Vocabulary::build({&letters});
  m.target_vocabulary = Vocabulary::build({&phones});
  m.create_network();
  m.model->eval();
  return m;
}

}  // namespace nnlab::seq2seq::test_util
