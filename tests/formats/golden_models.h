// The models behind tests/data/golden/: tiny, with every weight set by a formula rather than a
// random generator, so that the test knows each stored value without trusting the file, and
// the generator (GoldenFiles.DISABLED_Regenerate) writes the same files on any machine.
#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <string>
#include <vector>

#include "nnlab/compress/nnz_format.h"
#include "nnlab/compress/sparse_index.h"
#include "nnlab/models/checkpoint.h"
#include "nnlab/models/registry.h"
#include "nnlab/seq2seq/models/caption_model.h"
#include "nnlab/seq2seq/models/language_model_file.h"
#include "nnlab/seq2seq/models/model_file.h"

namespace nnlab::formats_test {

inline std::string golden_path(const std::string& name) {
  return std::string(NNLAB_SOURCE_DIR) + "/tests/data/golden/" + name;
}

// k/64 for k = -32..31 in a pattern that depends on `salt`: exact in float32 and in float16.
inline torch::Tensor golden_values(at::IntArrayRef shape, std::int64_t salt) {
  std::int64_t numel = 1;
  for (const auto d : shape) numel *= d;
  auto k = (torch::arange(numel, torch::kLong) * 37 + salt * 11).remainder(64) - 32;
  return (k.to(torch::kFloat) / 64.0).reshape(shape);
}

// The value every tensor of a golden model holds: the formula, positive for a BatchNorm's
// running variance, and 3 for an integer buffer (num_batches_tracked).
inline torch::Tensor golden_tensor(const std::string& name, const torch::Tensor& like,
                                   std::int64_t salt) {
  if (!like.is_floating_point()) return torch::full_like(like, 3);
  auto v = golden_values(like.sizes(), salt);
  const std::string var = "running_var";
  if (name.size() >= var.size() && name.compare(name.size() - var.size(), var.size(), var) == 0) {
    v = v.abs() + 0.5;
  }
  return v;
}

// Sets every parameter and buffer, salted by its place in the module's state.
inline void fill_golden(torch::nn::Module& module) {
  torch::NoGradGuard no_grad;
  std::int64_t salt = 0;
  for (auto& p : module.named_parameters()) {
    p.value().copy_(golden_tensor(p.key(), p.value(), salt++));
  }
  for (auto& b : module.named_buffers()) b.value().copy_(golden_tensor(b.key(), b.value(), salt++));
}

// LeNet-300-100 shrunk (structured pruning keeps its layer widths in the weights) to a 1x4x4
// input and 4 + 4 hidden units: fc1 4x16, fc2 4x4, fc3 10x4.
inline models::ModelInfo tiny_classifier_info() {
  auto info = models::find_model("lenet300").defaults;
  info.height = 4;
  info.width = 4;
  info.mean = {0.5};
  info.std = {0.25};
  info.widths_from_weights = true;
  for (int c = 0; c < 10; ++c) info.class_names.push_back("class" + std::to_string(c));
  return info;
}

inline models::Checkpoint tiny_checkpoint() {
  models::Checkpoint c;
  c.info = tiny_classifier_info();
  const std::vector<std::pair<std::string, std::vector<std::int64_t>>> shapes = {
      {"fc1.weight", {4, 16}}, {"fc1.bias", {4}},       {"fc2.weight", {4, 4}},
      {"fc2.bias", {4}},       {"fc3.weight", {10, 4}}, {"fc3.bias", {10}}};
  std::int64_t salt = 0;
  for (const auto& [name, shape] : shapes) c.state.emplace_back(name, golden_values(shape, salt++));
  c.masks.emplace_back("fc2.weight", golden_values({4, 4}, 0).ge(0).to(torch::kUInt8));
  c.blobs["note"] = "golden";
  c.meta["epoch"] = 7;
  return c;
}

// The tiny classifier as a .nnz, one tensor of each kind the writer produces.
inline compress::NnzModel tiny_nnz() {
  using compress::NnzTensor;
  compress::NnzModel m;
  m.info = tiny_classifier_info();
  m.meta = {{"method", "golden"}};
  NnzTensor fc1{"fc1.weight", {4, 16}, NnzTensor::Kind::kClustered, {}, {}, {}, 0, {}};
  fc1.codebook = {-0.5f, -0.125f, 0.0f, 0.25f, 0.75f};
  for (std::uint32_t i = 0; i < 64; ++i) fc1.indices.push_back((i * 3 + i / 16) % 5);
  NnzTensor fc1_bias{"fc1.bias", {4}, NnzTensor::Kind::kRaw, {0.5f, -0.25f, 0.125f, 1.0f}, {}, {},
                     0,          {}};
  NnzTensor fc2{"fc2.weight", {4, 4}, NnzTensor::Kind::kSparse, {}, {-0.5f, 0.75f}, {}, 0, {}};
  const auto entries = compress::encode_positions({0, 1, 6, 7, 15}, /*bits=*/2);  // 7 -> 15: filler
  fc2.gap_bits = 2;
  fc2.gaps = entries.gaps;
  for (std::size_t e = 0; e < entries.positions.size(); ++e) {
    fc2.indices.push_back(entries.filler[e] ? 2u : static_cast<std::uint32_t>(e % 2));
  }
  NnzTensor fc2_bias{
      "fc2.bias", {4}, NnzTensor::Kind::kHalf, {0.0999755859375f, -2.0f, 0.5f, 3.0f}, {}, {},
      0,          {}};
  NnzTensor fc3{"fc3.weight", {10, 4}, NnzTensor::Kind::kRowClustered, {}, {}, {}, 0, {}};
  for (int r = 0; r < 10; ++r) {
    fc3.codebook.push_back(-0.0625f * static_cast<float>(r + 1));
    fc3.codebook.push_back(0.125f * static_cast<float>(r + 1));
  }
  for (std::uint32_t i = 0; i < 40; ++i) fc3.indices.push_back((i + i / 4) % 2);
  NnzTensor fc3_bias{"fc3.bias", {10}, NnzTensor::Kind::kRaw, {}, {}, {}, 0, {}};
  for (int c = 0; c < 10; ++c) fc3_bias.raw.push_back(0.0625f * static_cast<float>(c - 5));
  m.tensors = {fc1, fc1_bias, fc2, fc2_bias, fc3, fc3_bias};
  return m;
}

// A G2P model: letters A-C to phones AH, B, K; GRU, additive attention, 4-wide everywhere.
inline seq2seq::SequenceModel tiny_sequence_model() {
  seq2seq::SequenceModel m;
  m.task = "g2p";
  m.options.embedding = 4;
  m.options.encoder_hidden = 4;
  m.options.decoder_hidden = 4;
  m.options.cell = "gru";
  m.options.attention = "additive";
  m.options.dropout = 0;
  const seq2seq::Tokens letters = {"A", "B", "C"};
  const seq2seq::Tokens phones = {"AH", "B", "K"};
  m.source_vocabulary = seq2seq::Vocabulary::build({&letters});
  m.target_vocabulary = seq2seq::Vocabulary::build({&phones});
  m.training = {{"note", "golden"}};
  m.create_network();
  fill_golden(*m.model);
  m.model->eval();
  return m;
}

inline seq2seq::LanguageModelFile tiny_language_model() {
  seq2seq::LanguageModelFile m;
  m.options.cell = "lstm";
  m.options.embedding = 4;
  m.options.hidden = 4;
  m.options.layers = 1;
  m.options.dropout = 0;
  const seq2seq::Tokens tokens = {"a", "b", "c"};
  m.vocabulary = seq2seq::Vocabulary::build({&tokens});
  m.training = {{"note", "golden"}};
  m.create_network();
  fill_golden(*m.model);
  m.model->eval();
  return m;
}

// 8x8 canvas (one region), 8 features, a 4-wide decoder.
inline seq2seq::CaptionModel tiny_caption_model() {
  seq2seq::CaptionModel m;
  m.class_words = {"bar", "dot"};
  m.scenes.width = 8;
  m.scenes.height = 8;
  m.scenes.min_items = 1;
  m.scenes.max_items = 1;
  m.options.height = 8;
  m.options.width = 8;
  m.options.features = 8;
  m.options.decoder.embedding = 4;
  m.options.decoder.decoder_hidden = 4;
  m.options.decoder.dropout = 0;
  m.training = {{"note", "golden"}};
  m.create_network();
  fill_golden(*m.model);
  m.model->eval();
  return m;
}

// The fixed inputs the stored outputs answer.
inline torch::Tensor classifier_input() {
  return golden_values({2, 1, 4, 4}, 5) + 0.5;
}
inline torch::Tensor caption_images() {
  return golden_values({1, 1, 8, 8}, 9) + 0.5;
}

}  // namespace nnlab::formats_test
