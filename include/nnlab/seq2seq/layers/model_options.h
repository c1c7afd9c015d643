// The shape of an attention encoder-decoder: what is needed to rebuild it from a model file.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>

namespace nnlab::seq2seq {

struct ModelOptions {
  std::string cell = "lstm";  // lstm | gru (encoder and decoder)
  std::int64_t embedding = 128;
  std::int64_t encoder_hidden = 256;  // per direction
  std::int64_t encoder_layers = 2;
  bool bidirectional = true;
  std::int64_t decoder_hidden = 256;
  std::int64_t decoder_layers = 1;
  std::string attention = "general";  // additive (Bahdanau) | dot | general (Luong)
  bool input_feed = true;  // the previous attentional state is fed with the next token (Luong)
  double dropout = 0.2;

  std::int64_t encoder_output() const { return encoder_hidden * (bidirectional ? 2 : 1); }
  // Throws core::OptionError naming the field.
  void validate() const;
  nlohmann::json to_json() const;
  static ModelOptions from_json(const nlohmann::json& j, const std::string& source);
};

}  // namespace nnlab::seq2seq
