#include "nnlab/seq2seq/layers/model_options.h"

#include "nnlab/core/error.h"

namespace nnlab::seq2seq {

void ModelOptions::validate() const {
  if (cell != "lstm" && cell != "gru")
    throw core::OptionError("ModelOptions.cell", "lstm or gru, not " + cell);
  if (attention != "additive" && attention != "dot" && attention != "general")
    throw core::OptionError("ModelOptions.attention", "additive, dot or general, not " + attention);
  if (embedding < 1 || encoder_hidden < 1 || decoder_hidden < 1)
    throw core::OptionError(
        "ModelOptions.embedding/ModelOptions.encoder_hidden/ModelOptions.decoder_hidden",
        "sizes must be positive, got " + std::to_string(embedding) + "/" +
            std::to_string(encoder_hidden) + "/" + std::to_string(decoder_hidden));
  if (encoder_layers < 1 || decoder_layers < 1)
    throw core::OptionError("ModelOptions.encoder_layers/ModelOptions.decoder_layers",
                            "at least one layer, got " + std::to_string(encoder_layers) + "/" +
                                std::to_string(decoder_layers));
  if (dropout < 0 || dropout >= 1)
    throw core::OptionError("ModelOptions.dropout",
                            "must be in [0, 1), got " + core::number_text(dropout));
  if (attention == "dot" && encoder_output() != decoder_hidden) {
    throw core::OptionError("ModelOptions.attention", "dot needs the decoder size (" +
                                                          std::to_string(decoder_hidden) +
                                                          ") to equal the encoder output (" +
                                                          std::to_string(encoder_output()) + ")");
  }
}

nlohmann::json ModelOptions::to_json() const {
  return {{"cell", cell},
          {"embedding", embedding},
          {"encoder_hidden", encoder_hidden},
          {"encoder_layers", encoder_layers},
          {"bidirectional", bidirectional},
          {"decoder_hidden", decoder_hidden},
          {"decoder_layers", decoder_layers},
          {"attention", attention},
          {"input_feed", input_feed},
          {"dropout", dropout}};
}

ModelOptions ModelOptions::from_json(const nlohmann::json& j, const std::string& source) {
  try {
    ModelOptions o;
    o.cell = j.at("cell").get<std::string>();
    o.embedding = j.at("embedding").get<std::int64_t>();
    o.encoder_hidden = j.at("encoder_hidden").get<std::int64_t>();
    o.encoder_layers = j.at("encoder_layers").get<std::int64_t>();
    o.bidirectional = j.at("bidirectional").get<bool>();
    o.decoder_hidden = j.at("decoder_hidden").get<std::int64_t>();
    o.decoder_layers = j.at("decoder_layers").get<std::int64_t>();
    o.attention = j.at("attention").get<std::string>();
    o.input_feed = j.at("input_feed").get<bool>();
    o.dropout = j.at("dropout").get<double>();
    o.validate();
    return o;
  } catch (const nlohmann::json::exception& e) {
    throw core::FileError(source, std::string("bad model options: ") + e.what());
  } catch (const core::OptionError& e) {
    throw core::FileError(source, std::string("bad model options: ") + e.what());
  }
}

}  // namespace nnlab::seq2seq
