// A trained caption model with what it needs on its own: the network's shape, the caption
// vocabulary, the word of each item class, and the scenes it was trained on. An nnlab archive
// (models/archive.h) of format "nnlab-caption" (docs/FORMAT.md).
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "nnlab/data/scene.h"
#include "nnlab/models/archive.h"
#include "nnlab/seq2seq/models/image_captioner.h"
#include "nnlab/text/vocabulary.h"

namespace nnlab::seq2seq {

inline constexpr const char* kCaptionFormat = "nnlab-caption";
inline constexpr int kCaptionVersion = 1;

struct CaptionModel {
  CaptionerOptions options;
  Vocabulary vocabulary;
  std::vector<std::string> class_words;  // the caption word of each item class
  data::SceneOptions scenes;             // how its training scenes were composed
  nlohmann::json training = nlohmann::json::object();
  ImageCaptioner model{nullptr};

  // Vocabulary from class_words, then a freshly initialized network.
  void create_network();
  std::vector<std::int64_t> class_tokens() const;  // token id of each class
};

models::Archive to_archive(const CaptionModel& model);
CaptionModel caption_model_from_archive(const models::Archive& archive, const std::string& source,
                                        torch::Device device);
void save_caption_model(const std::string& path, const CaptionModel& model);
// Throws core::FileError when the file is not a caption model or its weights do not fit.
CaptionModel load_caption_model(const std::string& path, torch::Device device);

}  // namespace nnlab::seq2seq
