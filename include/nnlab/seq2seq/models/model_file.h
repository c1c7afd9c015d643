// A trained sequence model with everything needed to use it: its shape, both vocabularies, how
// its text is tokenized, the task it was trained for and how it was trained. Stored as an nnlab
// archive (models/archive.h) of format "nnlab-seq2seq" (docs/FORMAT.md).
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "nnlab/core/error.h"
#include "nnlab/models/archive.h"
#include "nnlab/seq2seq/layers/model_options.h"
#include "nnlab/seq2seq/models/seq2seq_model.h"
#include "nnlab/text/corpus.h"
#include "nnlab/text/vocabulary.h"

namespace nnlab::seq2seq {

inline constexpr const char* kSeq2SeqFormat = "nnlab-seq2seq";
inline constexpr int kSeq2SeqVersion = 1;

struct SequenceModel {
  std::string task = "seq2seq";  // "g2p" (pronunciation) or "seq2seq" (general parallel text)
  ModelOptions options;
  Vocabulary source_vocabulary;
  Vocabulary target_vocabulary;
  Tokenization source_tokens = Tokenization::kCharacters;
  Tokenization target_tokens = Tokenization::kWords;
  nlohmann::json training = nlohmann::json::object();  // recipe, history, results
  Seq2Seq model{nullptr};

  // Builds a freshly initialized network for the vocabularies and options.
  void create_network();
};

// The archive of a model: its metadata and state_dict (blobs empty).
models::Archive to_archive(const SequenceModel& model);
// Throws core::FileError when the archive is not a seq2seq model, or (task non-empty) one for
// another task, or its weights do not fit its shape.
SequenceModel from_archive(const models::Archive& archive, const std::string& source,
                           const std::string& task, torch::Device device);

void save_sequence_model(const std::string& path, const SequenceModel& model);
SequenceModel load_sequence_model(const std::string& path, const std::string& task,
                                  torch::Device device);

std::string tokenization_name(Tokenization t);
Tokenization parse_tokenization(const std::string& name);  // throws core::OptionError

// Copies named tensors into the model's parameters and buffers (models::copy_state: strict,
// one FileError listing every mismatch).
void load_sequence_state(torch::nn::Module& module, const models::TensorList& state,
                         const std::string& source);
models::TensorList sequence_state(const torch::nn::Module& module);  // CPU clones

// What every sequence-model file (seq2seq, language model, captioner) does on reading: checks the
// archive's format and version, lets read_meta(meta, file) fill the fields (a JSON or option
// error there becomes one FileError: "bad <what> metadata: ..."), builds the network, loads the
// weights and moves it to `device` in eval mode. File needs create_network() and a `model`.
template <typename File, typename ReadMeta>
File sequence_file_from_archive(const models::Archive& archive, const std::string& source,
                                const std::string& format, int version, const std::string& what,
                                torch::Device device, ReadMeta read_meta) {
  models::check_archive_format(archive, format, version, "an nnlab " + what, source);
  File file;
  try {
    read_meta(archive.meta, file);
  } catch (const nlohmann::json::exception& e) {
    throw core::FileError(source, "bad " + what + " metadata: " + e.what());
  } catch (const core::OptionError& e) {
    throw core::FileError(source, "bad " + what + " metadata: " + e.what());
  }
  file.create_network();
  load_sequence_state(*file.model, archive.state, source);
  file.model->to(device);
  file.model->eval();
  return file;
}

}  // namespace nnlab::seq2seq
