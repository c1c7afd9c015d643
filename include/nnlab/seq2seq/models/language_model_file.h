// A trained language model with what it needs to generate on its own: its shape, vocabulary,
// tokenization and how it was trained. An nnlab archive (models/archive.h) of format "nnlab-lm"
// (docs/FORMAT.md), so a G2P or translation model given to `nnlab lm` is refused by its format.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "nnlab/models/archive.h"
#include "nnlab/seq2seq/models/language_model.h"
#include "nnlab/text/corpus.h"
#include "nnlab/text/vocabulary.h"

namespace nnlab::seq2seq {

inline constexpr const char* kLanguageModelFormat = "nnlab-lm";
inline constexpr int kLanguageModelVersion = 1;

struct LanguageModelFile {
  LanguageModelOptions options;
  Vocabulary vocabulary;
  Tokenization tokens = Tokenization::kCharacters;
  nlohmann::json training = nlohmann::json::object();  // data, recipe, history, results
  LanguageModel model{nullptr};

  void create_network();  // a freshly initialized network for the vocabulary and options
};

models::Archive to_archive(const LanguageModelFile& model);
// Throws core::FileError when the archive is not a language model or its weights do not fit.
LanguageModelFile language_model_from_archive(const models::Archive& archive,
                                              const std::string& source, torch::Device device);
void save_language_model(const std::string& path, const LanguageModelFile& model);
LanguageModelFile load_language_model(const std::string& path, torch::Device device);

}  // namespace nnlab::seq2seq
