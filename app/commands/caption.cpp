// nnlab caption: attention-based caption generation on scenes composed from Fashion-MNIST
// (Show, Attend and Tell's model on a task small enough for two cores).
//   train     on scenes from the training images; prints dev accuracy per epoch and the test
//             scores at the end
//   eval      word accuracy, exact match, BLEU-4 and where attention went, on test scenes
//   describe  the caption of one scene (or a PNG) and, in an HTML report, every word's attention
//             map over the image
// Longer than 100 lines: three subcommands, each flags -> seq2seq::run_caption_training /
// evaluate_captions / describe_image -> printing; the flag bindings alone are 100 lines.
#include <limits>
#include <sstream>

#include "commands/commands.h"
#include "flag_domains.h"
#include "nnlab/core/atomic_file.h"
#include "nnlab/core/progress.h"
#include "nnlab/report/caption_attention.h"
#include "nnlab/report/table.h"
#include "nnlab/seq2seq/captioning.h"
#include "seq2seq_flags.h"

namespace nnlab::app {

namespace {

struct CaptionTrainCommand {
  seq2seq::CaptionTrainingOptions run;
  std::int64_t items = 0;  // sets min and max
  std::string canvas = "64x64";
};

struct CaptionEvalCommand {
  std::string model;
  seq2seq::CaptionEvaluationOptions evaluation;
};

struct CaptionDescribeCommand {
  std::string model;
  seq2seq::CaptionImageOptions source;
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

void run_caption_train(CaptionTrainCommand options, const GlobalOptions& global) {
  const core::ExecutionContext context = start(global);
  auto& run = options.run;
  if (options.items > 0) run.scene.min_items = run.scene.max_items = options.items;
  std::tie(run.scene.height, run.scene.width) = data::parse_canvas(options.canvas);
  run.training.progress = !global.quiet;
  seq2seq::CaptionTrainingCallbacks callbacks;
  callbacks.on_start = [&](const seq2seq::CaptionModel& model) {
    info(global, "training on " + report::grouped(run.scenes) + " scenes of " +
                     std::to_string(run.scene.min_items) + "-" +
                     std::to_string(run.scene.max_items) + " items (" + options.canvas + ", " +
                     std::to_string(model.model->regions()) + " regions); " +
                     report::grouped(model.model->parameter_count()) + " parameters");
  };
  callbacks.on_epoch = [&](const seq2seq::CaptionEpoch& e) {
    std::ostringstream line;
    line << "epoch " << e.epoch << ": loss " << report::fixed(e.loss, 4);
    if (run.training.attention_lambda > 0)
      line << ", attention penalty " << report::fixed(e.attention_penalty, 3);
    line << ", dev word accuracy " << report::fixed(e.dev.word_accuracy) << "%, exact "
         << report::fixed(e.dev.exact_match) << "%, attention inside "
         << report::fixed(e.dev.attention_inside) << "%, lr " << report::fixed(e.lr, 6) << ", "
         << report::fixed(e.scenes_per_second, 0) << " scenes/s, "
         << core::format_duration(e.seconds);
    info(global, line.str());
  };
  const auto result = seq2seq::run_caption_training(run, context, callbacks);
  emit(global, context, result.to_json(run.output),
       "test: " + describe_scores(result.test) + "\n" + std::to_string(result.history.size()) +
           " epochs in " + core::format_duration(result.seconds) + "\nwrote " + run.output + "\n");
}

void run_caption_eval(const CaptionEvalCommand& options, const GlobalOptions& global) {
  const core::ExecutionContext context = start(global);
  auto model = seq2seq::load_caption_model(options.model, context.device);
  model.model->set_precision(context.precision);
  const auto scores = seq2seq::evaluate_captions(model, options.evaluation);
  auto json = scores.to_json();
  json["model"] = options.model;
  json["beam"] = options.evaluation.beam;
  emit(global, context, json, describe_scores(scores) + "\n");
}

void run_caption_describe(const CaptionDescribeCommand& options, const GlobalOptions& global) {
  const core::ExecutionContext context = start(global);
  auto model = seq2seq::load_caption_model(options.model, context.device);
  model.model->set_precision(context.precision);
  const auto source = seq2seq::caption_image(model, options.source);
  const auto description = seq2seq::describe_image(model, source.image);
  if (!options.html.empty()) {
    report::CaptionAttentionPage page;
    page.title = source.title;
    page.text = description.text;
    page.image = source.image;
    page.words = description.words;
    page.attention = description.caption.attention;
    page.grid_h = model.model->grid_height();
    page.grid_w = model.model->grid_width();
    page.provenance = core::provenance(context);
    core::write_text_atomically(options.html, report::caption_attention_html(page));
  }
  emit(global, context,
       {{"caption", description.text},
        {"log_prob", description.caption.log_prob},
        {"source", source.title},
        {"html", options.html}},
       description.text + "\n");
}

}  // namespace

void setup_caption(CLI::App& app, GlobalOptions& global) {
  auto* caption = app.add_subcommand("caption", "caption generation with attention");
  caption->require_subcommand(1);

  auto train_options = std::make_shared<CaptionTrainCommand>();
  auto& t = train_options->run;
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
  train
      ->add_option("--items", train_options->items,
                   "items per scene (sets --min-items and --max-items)")
      ->check(domain::positive());
  train->add_option("--min-items", t.scene.min_items)
      ->check(domain::positive())
      ->capture_default_str();
  train->add_option("--max-items", t.scene.max_items)
      ->check(domain::positive())
      ->capture_default_str();
  train->add_option("--canvas", train_options->canvas, "WIDTHxHEIGHT in pixels")
      ->capture_default_str();
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
  eval->add_option("--data", eval_options->evaluation.data)->capture_default_str();
  eval->add_option("--scenes", eval_options->evaluation.scenes)
      ->check(domain::positive())
      ->capture_default_str();
  eval->add_option("--beam", eval_options->evaluation.beam)
      ->check(domain::positive())
      ->capture_default_str();
  eval->callback([eval_options, &global] { run_caption_eval(*eval_options, global); });

  auto describe_options = std::make_shared<CaptionDescribeCommand>();
  auto* describe = caption->add_subcommand("describe", "caption one scene, draw its attention");
  describe->add_option("-m,--model", describe_options->model)->required();
  describe->add_option("--data", describe_options->source.data)->capture_default_str();
  describe->add_option("--scene", describe_options->source.scene, "a test scene's index")
      ->check(domain::non_negative())
      ->capture_default_str();
  describe->add_option("--image", describe_options->source.image,
                       "or a PNG of the model's canvas size");
  describe->add_option("--html", describe_options->html, "write the attention maps here");
  describe->callback(
      [describe_options, &global] { run_caption_describe(*describe_options, global); });
}

}  // namespace nnlab::app
