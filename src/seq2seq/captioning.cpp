#include "nnlab/seq2seq/captioning.h"

#include "nnlab/core/error.h"
#include "nnlab/core/execution_context.h"
#include "nnlab/data/data_spec.h"
#include "nnlab/data/image_io.h"
#include "nnlab/seq2seq/caption_scenes.h"

namespace nnlab::seq2seq {

nlohmann::json CaptionTrainingResult::to_json(const std::string& output) const {
  nlohmann::json epochs = nlohmann::json::array();
  for (const auto& e : history) epochs.push_back(e.to_json());
  return {{"output", output},
          {"epochs", epochs},
          {"seconds", seconds},
          {"test", test.to_json()},
          {"parameters", parameters}};
}

CaptionTrainingResult run_caption_training(CaptionTrainingOptions options,
                                           const core::ExecutionContext& context,
                                           const CaptionTrainingCallbacks& callbacks) {
  options.scene.seed = context.seed;
  if (options.scenes < 1 || options.dev_scenes < 1 || options.test_scenes < 1)
    throw core::OptionError("CaptionTrainingOptions.scenes", "every scene count must be >= 1");
  const auto split = data::load_data(options.data);
  CaptionTrainingResult run;
  auto& model = run.model;
  model.scenes = options.scene;
  model.class_words = data::caption_words(split.train);
  model.options = options.model;
  model.options.channels = split.train.images.size(1);
  model.options.height = options.scene.height;
  model.options.width = options.scene.width;
  options.scene.validate(split.train.images.size(2), split.train.images.size(3));
  model.create_network();
  model.model->to(context.device);
  model.model->set_precision(context.precision);

  const auto train =
      training_scenes(split.train, options.scenes, options.scene, options.fresh_scenes);
  const auto dev = dev_scenes(split.train, options.dev_scenes, options.scene);
  auto training = options.training;
  training.seed = static_cast<std::int64_t>(context.seed);
  if (callbacks.on_start) callbacks.on_start(model);
  run.history = train_captioner(model, train, dev, training, callbacks.on_epoch);
  run.test = score_caption_model(model, test_scenes(model, split.test, options.test_scenes), 1);
  for (const auto& e : run.history) run.seconds += e.seconds;
  run.parameters = model.model->parameter_count();
  auto json = run.to_json(options.output);
  model.training = {{"data", options.data},
                    {"scenes", options.scenes},
                    {"fresh_scenes", options.fresh_scenes},
                    {"options", training.to_json()},
                    {"epochs", json["epochs"]},
                    {"seconds", run.seconds},
                    {"test", json["test"]},
                    {"parameters", run.parameters}};
  save_caption_model(options.output, model);
  return run;
}

CaptionScores score_caption_model(CaptionModel& model, const data::SceneSet& scenes,
                                  std::int64_t beam) {
  SearchOptions search;
  search.beam = beam;
  search.attention = true;
  return score_captions(model, caption_images(model, scenes.images, search), scenes);
}

CaptionScores evaluate_captions(CaptionModel& model, const CaptionEvaluationOptions& options) {
  if (options.scenes < 1)
    throw core::OptionError("CaptionEvaluationOptions.scenes", "must be >= 1");
  const auto split = data::load_data(options.data);
  return score_caption_model(model, test_scenes(model, split.test, options.scenes), options.beam);
}

CaptionImage caption_image(const CaptionModel& model, const CaptionImageOptions& options) {
  CaptionImage source;
  if (!options.image.empty()) {
    data::ImageLoadOptions load;
    load.channels = static_cast<int>(model.options.channels);
    load.height = 0;  // keep the file's size: a mismatch is an error below
    load.width = 0;
    source.image = data::load_image(options.image, load);
    if (source.image.size(1) != model.options.height ||
        source.image.size(2) != model.options.width) {
      throw core::FileError(options.image, "a " + std::to_string(source.image.size(2)) + "x" +
                                               std::to_string(source.image.size(1)) +
                                               " image; the model reads " +
                                               std::to_string(model.options.width) + "x" +
                                               std::to_string(model.options.height));
    }
    source.title = options.image;
    return source;
  }
  if (options.scene < 0) throw core::OptionError("CaptionImageOptions.scene", "must be >= 0");
  const auto split = data::load_data(options.data);
  source.image = test_scenes(model, split.test, options.scene + 1).images[options.scene];
  source.title = "test scene " + std::to_string(options.scene);
  return source;
}

CaptionDescription describe_image(CaptionModel& model, const torch::Tensor& image) {
  SearchOptions search;
  search.attention = true;
  CaptionDescription description;
  description.caption = caption_images(model, image.unsqueeze(0), search).front();
  description.words = model.vocabulary.decode(description.caption.tokens);
  for (std::size_t i = 0; i < description.words.size(); ++i)
    description.text += (i > 0 ? " " : "") + description.words[i];
  return description;
}

}  // namespace nnlab::seq2seq
