#include "nnlab/seq2seq/models/caption_model.h"

#include <torch/torch.h>

#include "nnlab/core/error.h"
#include "nnlab/core/execution_context.h"
#include "nnlab/seq2seq/models/model_file.h"

namespace nnlab::seq2seq {

namespace {

nlohmann::json scenes_to_json(const data::SceneOptions& s) {
  return {{"width", s.width},         {"height", s.height}, {"min_items", s.min_items},
          {"max_items", s.max_items}, {"jitter", s.jitter}, {"seed", s.seed}};
}

data::SceneOptions scenes_from_json(const nlohmann::json& j) {
  data::SceneOptions s;
  s.width = j.at("width").get<std::int64_t>();
  s.height = j.at("height").get<std::int64_t>();
  s.min_items = j.at("min_items").get<std::int64_t>();
  s.max_items = j.at("max_items").get<std::int64_t>();
  s.jitter = j.at("jitter").get<std::int64_t>();
  s.seed = j.at("seed").get<std::uint64_t>();
  return s;
}

}  // namespace

void CaptionModel::create_network() {
  std::vector<const Tokens*> sequences;
  const Tokens words(class_words.begin(), class_words.end());
  sequences.push_back(&words);
  vocabulary = Vocabulary::build(sequences);
  model = ImageCaptioner(options, vocabulary.size());
}

std::vector<std::int64_t> CaptionModel::class_tokens() const {
  std::vector<std::int64_t> ids;
  for (const auto& w : class_words) ids.push_back(vocabulary.id(w));
  return ids;
}

models::Archive to_archive(const CaptionModel& m) {
  models::Archive archive;
  archive.meta = {{"format", kCaptionFormat},           {"version", kCaptionVersion},
                  {"model", m.options.to_json()},       {"class_words", m.class_words},
                  {"scenes", scenes_to_json(m.scenes)}, {"training", m.training}};
  // The arithmetic it was trained in (or, for a state, is training in); the weights are float32.
  archive.meta["precision"] = core::to_string(m.model->precision());
  archive.state = sequence_state(*m.model);
  return archive;
}

CaptionModel caption_model_from_archive(const models::Archive& archive, const std::string& source,
                                        torch::Device device) {
  return sequence_file_from_archive<CaptionModel>(
      archive, source, kCaptionFormat, kCaptionVersion, "caption model", device,
      [&](const nlohmann::json& meta, CaptionModel& m) {
        m.options = CaptionerOptions::from_json(meta.at("model"), source);
        m.class_words = meta.at("class_words").get<std::vector<std::string>>();
        m.scenes = scenes_from_json(meta.at("scenes"));
        m.training = meta.value("training", nlohmann::json::object());
      });
}

void save_caption_model(const std::string& path, const CaptionModel& model) {
  models::save_archive(path, to_archive(model));
}

CaptionModel load_caption_model(const std::string& path, torch::Device device) {
  return caption_model_from_archive(models::read_archive(path), path, device);
}

}  // namespace nnlab::seq2seq
