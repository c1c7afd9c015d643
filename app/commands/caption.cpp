// nnlab caption: attention-based caption generation on scenes composed from Fashion-MNIST
// (Show, Attend and Tell's model on a task small enough for two cores).
//   train     on scenes from the training images; prints dev accuracy per epoch and the test
//             scores at the end
//   eval      word accuracy, exact match, BLEU-4 and where attention went, on test scenes
//   describe  the caption of one scene (or a PNG) and, in an HTML report, every word's attention
//             map over the image
#include <torch/nn/functional/upsampling.h>

#include <iostream>
#include <limits>
#include <sstream>

#include "commands/commands.h"
#include "flag_domains.h"
#include "nnlab/core/atomic_file.h"
#include "nnlab/core/error.h"
#include "nnlab/core/progress.h"
#include "nnlab/data/data_spec.h"
#include "nnlab/data/image_io.h"
#include "nnlab/report/html.h"
#include "nnlab/report/provenance.h"
#include "nnlab/report/table.h"
#include "nnlab/seq2seq/caption_trainer.h"
#include "seq2seq_flags.h"

namespace nnlab::app {

namespace {

// Test scenes come from the test images, dev scenes from the training images, each composed with
// its own seed offset from the training scenes' seed.
constexpr std::uint64_t kTestSeedOffset = 1, kDevSeedOffset = 2;

struct CaptionTrainCommand {
  std::string data = "fashion-mnist";
  std::int64_t scenes = 20000, dev_scenes = 1000, test_scenes = 2000;
  bool fresh_scenes = false;
  std::int64_t items = 0;  // sets min and max
  std::string canvas = "64x64";
  data::SceneOptions scene;
  seq2seq::CaptionerOptions model;
  seq2seq::CaptionTrainOptions training;
  std::string output;
};

struct CaptionEvalCommand {
  std::string model, data = "fashion-mnist";
  std::int64_t scenes = 2000;
  std::int64_t beam = 1;
};

struct CaptionDescribeCommand {
  std::string model, data = "fashion-mnist";
  std::int64_t scene = 0;
  std::string image;
  std::string html;
};

std::string describe_scores(const seq2seq::CaptionScores& s) {
  std::ostringstream out;
  out << "word accuracy " << report::fixed(s.word_accuracy) << "%, exact match "
      << report::fixed(s.exact_match) << "%, BLEU-4 " << report::fixed(s.bleu4) << " (orders 1-"
      << s.bleu_orders << ")"
      << ", attention inside the item " << report::fixed(s.attention_inside) << "% of "
      << s.attended_words << " words (" << s.scenes << " scenes)";
  return out.str();
}

data::SceneSet test_scenes(const seq2seq::CaptionModel& model, const data::Dataset& test,
                           std::int64_t count) {
  auto options = model.scenes;
  options.seed += kTestSeedOffset;
  return data::compose_scenes(test, count, options);
}

seq2seq::CaptionScores score(seq2seq::CaptionModel& model, const data::SceneSet& scenes,
                             std::int64_t beam) {
  seq2seq::SearchOptions search;
  search.beam = beam;
  search.attention = true;
  return seq2seq::score_captions(model, seq2seq::caption_images(model, scenes.images, search),
                                 scenes);
}

void run_caption_train(CaptionTrainCommand options, const GlobalOptions& global) {
  const core::ExecutionContext context = start(global);
  if (options.items > 0) options.scene.min_items = options.scene.max_items = options.items;
  std::tie(options.scene.height, options.scene.width) = data::parse_canvas(options.canvas);
  options.scene.seed = static_cast<std::uint64_t>(global.runtime.seed);
  if (options.scenes < 1 || options.dev_scenes < 1 || options.test_scenes < 1)
    throw core::OptionError("--scenes", "every scene count must be >= 1");
  const auto split = data::load_data(options.data);
  seq2seq::CaptionModel model;
  model.scenes = options.scene;
  model.class_words = data::caption_words(split.train);
  model.options = options.model;
  model.options.channels = split.train.images.size(1);
  model.options.height = options.scene.height;
  model.options.width = options.scene.width;
  options.scene.validate(split.train.images.size(2), split.train.images.size(3));
  model.create_network();
  model.model->to(context.device);

  // --fresh-scenes: new compositions every epoch (seed + 3 + epoch); otherwise one set.
  const auto fixed = options.fresh_scenes
                         ? data::SceneSet()
                         : data::compose_scenes(split.train, options.scenes, options.scene);
  const seq2seq::SceneSource train = [&](int epoch) {
    if (!options.fresh_scenes) return fixed;
    auto epoch_options = options.scene;
    epoch_options.seed += 3 + static_cast<std::uint64_t>(epoch);
    return data::compose_scenes(split.train, options.scenes, epoch_options);
  };
  auto dev_options = options.scene;
  dev_options.seed += kDevSeedOffset;
  const auto dev = data::compose_scenes(split.train, options.dev_scenes, dev_options);
  auto training = options.training;
  training.seed = global.runtime.seed;
  training.progress = !global.quiet;
  info(global, "training on " + report::grouped(options.scenes) + " scenes of " +
                   std::to_string(options.scene.min_items) + "-" +
                   std::to_string(options.scene.max_items) + " items (" + options.canvas + ", " +
                   std::to_string(model.model->regions()) + " regions); " +
                   report::grouped(model.model->parameter_count()) + " parameters");
  const auto history =
      seq2seq::train_captioner(model, train, dev, training, [&](const seq2seq::CaptionEpoch& e) {
        std::ostringstream line;
        line << "epoch " << e.epoch << ": loss " << report::fixed(e.loss, 4);
        if (training.attention_lambda > 0)
          line << ", attention penalty " << report::fixed(e.attention_penalty, 3);
        line << ", dev word accuracy " << report::fixed(e.dev.word_accuracy) << "%, exact "
             << report::fixed(e.dev.exact_match) << "%, attention inside "
             << report::fixed(e.dev.attention_inside) << "%, lr " << report::fixed(e.lr, 6) << ", "
             << report::fixed(e.scenes_per_second, 0) << " scenes/s, "
             << core::format_duration(e.seconds);
        info(global, line.str());
      });
  const auto test = test_scenes(model, split.test, options.test_scenes);
  const auto scores = score(model, test, 1);
  nlohmann::json epochs = nlohmann::json::array();
  double seconds = 0;
  for (const auto& e : history) {
    epochs.push_back(e.to_json());
    seconds += e.seconds;
  }
  model.training = {{"data", options.data},
                    {"scenes", options.scenes},
                    {"fresh_scenes", options.fresh_scenes},
                    {"options", training.to_json()},
                    {"epochs", epochs},
                    {"seconds", seconds},
                    {"test", scores.to_json()},
                    {"parameters", model.model->parameter_count()}};
  seq2seq::save_caption_model(options.output, model);
  emit(global, context,
       {{"output", options.output},
        {"epochs", epochs},
        {"seconds", seconds},
        {"test", scores.to_json()},
        {"parameters", model.model->parameter_count()}},
       "test: " + describe_scores(scores) + "\n" + std::to_string(history.size()) + " epochs in " +
           core::format_duration(seconds) + "\nwrote " + options.output + "\n");
}

void run_caption_eval(const CaptionEvalCommand& options, const GlobalOptions& global) {
  const core::ExecutionContext context = start(global);
  auto model = seq2seq::load_caption_model(options.model, context.device);
  if (options.scenes < 1) throw core::OptionError("--scenes", "must be >= 1");
  const auto split = data::load_data(options.data);
  const auto scenes = test_scenes(model, split.test, options.scenes);
  const auto scores = score(model, scenes, options.beam);
  auto json = scores.to_json();
  json["model"] = options.model;
  json["beam"] = options.beam;
  emit(global, context, json, describe_scores(scores) + "\n");
}

// The image with one step's attention laid over it in red, 4x larger.
torch::Tensor attention_overlay(const torch::Tensor& image, const std::vector<float>& attention,
                                std::int64_t grid_h, std::int64_t grid_w) {
  auto a = torch::tensor(attention).view({1, 1, grid_h, grid_w});
  a = torch::nn::functional::interpolate(
          a, torch::nn::functional::InterpolateFuncOptions()
                 .size(std::vector<std::int64_t>{image.size(1), image.size(2)})
                 .mode(torch::kBilinear)
                 .align_corners(false))
          .squeeze(0);
  a = a / a.max().clamp_min(1e-12);
  const auto gray = image.mean(0, true) * 0.7;
  auto rgb = torch::cat({(gray + a).clamp(0, 1), gray, gray}, 0);
  return torch::nn::functional::interpolate(rgb.unsqueeze(0),
                                            torch::nn::functional::InterpolateFuncOptions()
                                                .scale_factor(std::vector<double>{4, 4})
                                                .mode(torch::kNearest))
      .squeeze(0);
}

void run_caption_describe(const CaptionDescribeCommand& options, const GlobalOptions& global) {
  const core::ExecutionContext context = start(global);
  auto model = seq2seq::load_caption_model(options.model, context.device);
  torch::Tensor image;
  std::string title;
  if (!options.image.empty()) {
    data::ImageLoadOptions load;
    load.channels = static_cast<int>(model.options.channels);
    load.height = 0;  // keep the file's size: a mismatch is an error below
    load.width = 0;
    image = data::load_image(options.image, load);
    if (image.size(1) != model.options.height || image.size(2) != model.options.width) {
      throw core::FileError(options.image, "a " + std::to_string(image.size(2)) + "x" +
                                               std::to_string(image.size(1)) +
                                               " image; the model reads " +
                                               std::to_string(model.options.width) + "x" +
                                               std::to_string(model.options.height));
    }
    title = options.image;
  } else {
    if (options.scene < 0) throw core::OptionError("--scene", "must be >= 0");
    const auto split = data::load_data(options.data);
    const auto scenes = test_scenes(model, split.test, options.scene + 1);
    image = scenes.images[options.scene];
    title = "test scene " + std::to_string(options.scene);
  }
  seq2seq::SearchOptions search;
  search.attention = true;
  const auto caption = seq2seq::caption_images(model, image.unsqueeze(0), search).front();
  const auto words = model.vocabulary.decode(caption.tokens);
  const auto text = join_tokens(words);
  if (!options.html.empty()) {
    std::ostringstream html;
    html << "<!doctype html><html><head><meta charset=\"utf-8\"><title>"
         << report::html_escape(text) << "</title><style>body{font-family:sans-serif}"
         << "figure{display:inline-block;margin:8px;text-align:center}</style></head><body>"
         << "<h1>" << report::html_escape(title) << ": " << report::html_escape(text)
         << "</h1><figure><img src=\""
         << report::png_data_uri(
                torch::nn::functional::interpolate(image.unsqueeze(0),
                                                   torch::nn::functional::InterpolateFuncOptions()
                                                       .scale_factor(std::vector<double>{4, 4})
                                                       .mode(torch::kNearest))
                    .squeeze(0))
         << "\"><figcaption>the image</figcaption></figure>";
    for (std::size_t t = 0; t < caption.attention.size(); ++t) {
      const auto word = t < words.size() ? words[t] : std::string("</s>");
      html << "<figure><img src=\""
           << report::png_data_uri(attention_overlay(image.cpu(), caption.attention[t],
                                                     model.model->grid_height(),
                                                     model.model->grid_width()))
           << "\"><figcaption>" << report::html_escape(word) << "</figcaption></figure>";
    }
    html << "<p>Red: where the decoder looked while writing each word (its attention over the "
         << model.model->grid_height() << "x" << model.model->grid_width() << " regions).</p>"
         << report::provenance_section(core::provenance(context)) << "</body></html>\n";
    core::write_text_atomically(options.html, html.str());
  }
  emit(global, context,
       {{"caption", text},
        {"log_prob", caption.log_prob},
        {"source", title},
        {"html", options.html}},
       text + "\n");
}

}  // namespace

void setup_caption(CLI::App& app, GlobalOptions& global) {
  auto* caption = app.add_subcommand("caption", "caption generation with attention");
  caption->require_subcommand(1);

  auto train_options = std::make_shared<CaptionTrainCommand>();
  auto& t = *train_options;
  auto* train = caption->add_subcommand("train", "train on composed scenes");
  train->add_option("--data", t.data, "the item images (a --data spec)")->capture_default_str();
  train->add_option("--scenes", t.scenes, "training scenes (per epoch)")
      ->check(domain::positive())
      ->capture_default_str();
  train->add_flag("--fresh-scenes", t.fresh_scenes,
                  "compose new training scenes every epoch from the same item images");
  train->add_option("--dev-scenes", t.dev_scenes)->check(domain::positive())->capture_default_str();
  train->add_option("--test-scenes", t.test_scenes)
      ->check(domain::positive())
      ->capture_default_str();
  train->add_option("--items", t.items, "items per scene (sets --min-items and --max-items)")
      ->check(domain::positive());
  train->add_option("--min-items", t.scene.min_items)
      ->check(domain::positive())
      ->capture_default_str();
  train->add_option("--max-items", t.scene.max_items)
      ->check(domain::positive())
      ->capture_default_str();
  train->add_option("--canvas", t.canvas, "WIDTHxHEIGHT in pixels")->capture_default_str();
  train->add_option("--jitter", t.scene.jitter, "random offset of an item in its cell, pixels")
      ->check(domain::non_negative())
      ->capture_default_str();
  train->add_option("--features", t.model.features, "feature width of an image region")
      ->check(domain::range(8, std::numeric_limits<double>::infinity()))
      ->capture_default_str();
  train->add_option("--embedding", t.model.decoder.embedding)
      ->check(domain::positive())
      ->capture_default_str();
  train->add_option("--hidden", t.model.decoder.decoder_hidden)
      ->check(domain::positive())
      ->capture_default_str();
  train->add_option("--attention", t.model.decoder.attention, "additive | dot | general")
      ->capture_default_str();
  train->add_option("--dropout", t.model.decoder.dropout)
      ->check(domain::range(0, 1, /*lo_open=*/false, /*hi_open=*/true))
      ->capture_default_str();
  train->add_option("--epochs", t.training.epochs)
      ->check(domain::positive())
      ->capture_default_str();
  train->add_option("--batch-size", t.training.batch_size)
      ->check(domain::positive())
      ->capture_default_str();
  train->add_option("--lr", t.training.lr, "Adam, cosine schedule")
      ->check(domain::positive())
      ->capture_default_str();
  train
      ->add_option("--attention-lambda", t.training.attention_lambda,
                   "weight of the regularizer sum_i (tau - sum_t alpha_t^i)^2 (0: off)")
      ->check(domain::non_negative())
      ->capture_default_str();
  train
      ->add_option("--attention-tau", t.training.attention_tau,
                   "attention per region over a caption (0: words / regions)")
      ->check(domain::non_negative())
      ->capture_default_str();
  train->add_option("-o,--output", t.output, "the model file")->required();
  train->callback([train_options, &global] { run_caption_train(*train_options, global); });

  auto eval_options = std::make_shared<CaptionEvalCommand>();
  auto* eval = caption->add_subcommand("eval", "score captions of test scenes");
  eval->add_option("-m,--model", eval_options->model)->required();
  eval->add_option("--data", eval_options->data)->capture_default_str();
  eval->add_option("--scenes", eval_options->scenes)
      ->check(domain::positive())
      ->capture_default_str();
  eval->add_option("--beam", eval_options->beam)->check(domain::positive())->capture_default_str();
  eval->callback([eval_options, &global] { run_caption_eval(*eval_options, global); });

  auto describe_options = std::make_shared<CaptionDescribeCommand>();
  auto* describe = caption->add_subcommand("describe", "caption one scene, draw its attention");
  describe->add_option("-m,--model", describe_options->model)->required();
  describe->add_option("--data", describe_options->data)->capture_default_str();
  describe->add_option("--scene", describe_options->scene, "a test scene's index")
      ->check(domain::non_negative())
      ->capture_default_str();
  describe->add_option("--image", describe_options->image, "or a PNG of the model's canvas size");
  describe->add_option("--html", describe_options->html, "write the attention maps here");
  describe->callback(
      [describe_options, &global] { run_caption_describe(*describe_options, global); });
}

}  // namespace nnlab::app
