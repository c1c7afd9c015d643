// What `nnlab caption` does, as library calls: a whole training run on composed scenes (the scene
// protocol of caption_scenes.h, caption_trainer's epochs, the test scores, the model file), the
// scores of a model on its test scenes, and the caption of one image with its attention.
#pragma once

#include <torch/types.h>

#include <cstdint>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "nnlab/data/scene.h"
#include "nnlab/seq2seq/caption_trainer.h"
#include "nnlab/seq2seq/decoding/search.h"
#include "nnlab/seq2seq/evaluation/caption_metrics.h"
#include "nnlab/seq2seq/models/caption_model.h"

namespace nnlab::core {
struct ExecutionContext;
}

namespace nnlab::seq2seq {

struct CaptionTrainingOptions {
  std::string data = "fashion-mnist";  // the item images (a data spec, data/data_spec.h)
  std::int64_t scenes = 20000, dev_scenes = 1000, test_scenes = 2000;  // each >= 1
  bool fresh_scenes = false;  // new training compositions every epoch
  // The scenes' canvas, items and jitter; their seed is the execution context's.
  data::SceneOptions scene;
  CaptionerOptions model;  // channels, height and width come from the images and the canvas
  // The recipe; its seed is replaced by the execution context's.
  CaptionTrainOptions training;
  std::string output;  // the model file
};

struct CaptionTrainingResult {
  CaptionModel model;  // as written to options.output
  std::vector<CaptionEpoch> history;
  double seconds = 0;  // of all epochs
  CaptionScores test;  // greedy captions of the test scenes
  std::int64_t parameters = 0;
  // {"output", "epochs", "seconds", "test", "parameters"}.
  nlohmann::json to_json(const std::string& output) const;
};

struct CaptionTrainingCallbacks {
  std::function<void(const CaptionModel&)> on_start;  // the network about to be trained
  std::function<void(const CaptionEpoch&)> on_epoch;
};

// Trains a new caption model on context's device with context's seed and writes options.output.
// Throws core::OptionError (counts, a canvas too small for its items), core::FileError.
CaptionTrainingResult run_caption_training(CaptionTrainingOptions options,
                                           const core::ExecutionContext& context,
                                           const CaptionTrainingCallbacks& callbacks = {});

// Scores captions of `scenes` (attention kept, for its share inside the items).
CaptionScores score_caption_model(CaptionModel& model, const data::SceneSet& scenes,
                                  std::int64_t beam);

struct CaptionEvaluationOptions {
  std::string data = "fashion-mnist";  // its test images make the test scenes
  std::int64_t scenes = 2000;          // >= 1
  std::int64_t beam = 1;
};

// The model's scores on its test scenes (caption_scenes.h). Throws core::OptionError.
CaptionScores evaluate_captions(CaptionModel& model, const CaptionEvaluationOptions& options);

// The image a caption is asked for.
struct CaptionImageOptions {
  std::string image;  // a PNG of the model's canvas size and channels; empty: a test scene
  std::string data = "fashion-mnist";  // the test scene's item images
  std::int64_t scene = 0;              // the test scene's index, >= 0
};

struct CaptionImage {
  torch::Tensor image;  // C x H x W in [0, 1]
  std::string title;    // the file's path, or "test scene N"
};

// Throws core::OptionError for a negative scene, core::FileError for an image of another size.
CaptionImage caption_image(const CaptionModel& model, const CaptionImageOptions& options);

struct CaptionDescription {
  Hypothesis caption;  // greedy, with one attention row per word (and </s>)
  Tokens words;
  std::string text;  // the words joined by spaces
};

// The caption of one image (C x H x W).
CaptionDescription describe_image(CaptionModel& model, const torch::Tensor& image);

}  // namespace nnlab::seq2seq
