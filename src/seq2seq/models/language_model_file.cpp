#include "nnlab/seq2seq/models/language_model_file.h"

#include <torch/torch.h>

#include "nnlab/core/error.h"
#include "nnlab/core/execution_context.h"
#include "nnlab/seq2seq/models/model_file.h"

namespace nnlab::seq2seq {

void LanguageModelFile::create_network() {
  model = LanguageModel(options, vocabulary.size());
}

models::Archive to_archive(const LanguageModelFile& m) {
  models::Archive archive;
  archive.meta = {{"format", kLanguageModelFormat},        {"version", kLanguageModelVersion},
                  {"model", m.options.to_json()},          {"vocabulary", m.vocabulary.to_json()},
                  {"tokens", tokenization_name(m.tokens)}, {"training", m.training}};
  // The arithmetic it was trained in (or, for a state, is training in); the weights are float32.
  archive.meta["precision"] = core::to_string(m.model->precision());
  archive.state = sequence_state(*m.model);
  return archive;
}

LanguageModelFile language_model_from_archive(const models::Archive& archive,
                                              const std::string& source, torch::Device device) {
  return sequence_file_from_archive<LanguageModelFile>(
      archive, source, kLanguageModelFormat, kLanguageModelVersion, "language model", device,
      [&](const nlohmann::json& meta, LanguageModelFile& m) {
        m.options = LanguageModelOptions::from_json(meta.at("model"), source);
        m.vocabulary = Vocabulary::from_json(meta.at("vocabulary"), source);
        m.tokens = parse_tokenization(meta.at("tokens").get<std::string>());
        m.training = meta.value("training", nlohmann::json::object());
      });
}

void save_language_model(const std::string& path, const LanguageModelFile& model) {
  models::save_archive(path, to_archive(model));
}

LanguageModelFile load_language_model(const std::string& path, torch::Device device) {
  return language_model_from_archive(models::read_archive(path), path, device);
}

}  // namespace nnlab::seq2seq
