#include "nnlab/seq2seq/models/model_file.h"

#include <torch/torch.h>

#include "nnlab/core/error.h"
#include "nnlab/core/execution_context.h"
#include "nnlab/models/state_dict.h"

namespace nnlab::seq2seq {

std::string tokenization_name(Tokenization t) {
  return t == Tokenization::kCharacters ? "chars" : "words";
}

Tokenization parse_tokenization(const std::string& name) {
  if (name == "chars") return Tokenization::kCharacters;
  if (name == "words") return Tokenization::kWords;
  throw core::OptionError("parse_tokenization.name", "chars or words, not " + name);
}

void SequenceModel::create_network() {
  model = Seq2Seq(options, source_vocabulary.size(), target_vocabulary.size());
}

models::TensorList sequence_state(const torch::nn::Module& module) {
  models::TensorList state = models::module_state(module);
  // Contiguous: a model running in bf16 keeps its convolutions' weights channels-last.
  for (auto& [name, tensor] : state)
    tensor = tensor.to(torch::kCPU).clone(torch::MemoryFormat::Contiguous);
  return state;
}

void load_sequence_state(torch::nn::Module& module, const models::TensorList& state,
                         const std::string& source) {
  models::copy_state(models::module_state(module), state, "the seq2seq model's shape", source);
}

models::Archive to_archive(const SequenceModel& m) {
  models::Archive archive;
  archive.meta = {{"format", kSeq2SeqFormat},
                  {"version", kSeq2SeqVersion},
                  {"task", m.task},
                  {"model", m.options.to_json()},
                  {"source_vocabulary", m.source_vocabulary.to_json()},
                  {"target_vocabulary", m.target_vocabulary.to_json()},
                  {"source_tokens", tokenization_name(m.source_tokens)},
                  {"target_tokens", tokenization_name(m.target_tokens)},
                  {"training", m.training}};
  // The arithmetic it was trained in (or, for a state, is training in); the weights are float32.
  archive.meta["precision"] = core::to_string(m.model->precision());
  archive.state = sequence_state(*m.model);
  return archive;
}

SequenceModel from_archive(const models::Archive& archive, const std::string& source,
                           const std::string& task, torch::Device device) {
  return sequence_file_from_archive<SequenceModel>(
      archive, source, kSeq2SeqFormat, kSeq2SeqVersion, "seq2seq model", device,
      [&](const nlohmann::json& meta, SequenceModel& m) {
        m.task = meta.at("task").get<std::string>();
        if (!task.empty() && m.task != task) {
          throw core::FileError(source,
                                "a model trained for '" + m.task + "', not for '" + task + "'");
        }
        m.options = ModelOptions::from_json(meta.at("model"), source);
        m.source_vocabulary = Vocabulary::from_json(meta.at("source_vocabulary"), source);
        m.target_vocabulary = Vocabulary::from_json(meta.at("target_vocabulary"), source);
        m.source_tokens = parse_tokenization(meta.at("source_tokens").get<std::string>());
        m.target_tokens = parse_tokenization(meta.at("target_tokens").get<std::string>());
        m.training = meta.value("training", nlohmann::json::object());
      });
}

void save_sequence_model(const std::string& path, const SequenceModel& model) {
  models::save_archive(path, to_archive(model));
}

SequenceModel load_sequence_model(const std::string& path, const std::string& task,
                                  torch::Device device) {
  return from_archive(models::read_archive(path), path, task, device);
}

}  // namespace nnlab::seq2seq
