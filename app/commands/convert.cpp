// nnlab convert --depthwise: each standard k x k convolution becomes depthwise + pointwise
// (compress/depthwise_conversion), and the new model is trained by distillation from the
// original; a row per converted layer, then parameters, MACs, accuracy and measured latency of
// the original and the converted model.
#include <sstream>

#include "commands/commands.h"
#include "compression_flags.h"
#include "flag_domains.h"
#include "nnlab/compress/depthwise_conversion.h"
#include "nnlab/compress/distillation.h"
#include "nnlab/core/error.h"
#include "nnlab/models/latency.h"
#include "nnlab/models/summary.h"
#include "nnlab/report/table.h"

namespace nnlab::app {

namespace {

struct ConvertOptions {
  CompressionFlags flags;
  bool depthwise = false;
  bool no_batch_norm = false;
  std::string layers;
  compress::DistillationOptions distillation;
};

nlohmann::json model_row(models::Classifier& model, const CompressionInput& input,
                         const CompressionFlags& flags) {
  const auto summary = models::summarize(model);
  models::LatencyOptions latency;
  latency.batch_size = flags.latency_batch;
  return {{"parameters", summary.total_params},
          {"macs", summary.total_macs},
          {"test_accuracy", compress::test_accuracy(model, input.tuning)},
          {"latency_ms", models::measure_latency(model, latency).median_ms}};
}

void run_convert(ConvertOptions options, const GlobalOptions& global) {
  if (!options.depthwise) throw core::OptionError("--depthwise", "the one conversion; give it");
  const core::ExecutionContext context = start(global);
  compress::DepthwiseConversionOptions conversion;
  conversion.batch_norm = !options.no_batch_norm;
  std::stringstream list(options.layers);
  for (std::string layer; std::getline(list, layer, ',');) {
    if (!layer.empty()) conversion.layers.push_back(layer);
  }
  auto& flags = options.flags;
  auto input = load_for_compression(flags, global, context);
  auto teacher = models::classifier_from_checkpoint(input.checkpoint, flags.model);
  teacher.to(context);
  teacher.eval();
  const auto original = model_row(teacher, input, flags);

  auto& model = input.model;
  const auto layers = compress::convert_to_depthwise(model, conversion);
  compress::Distillation distillation(teacher, options.distillation);
  distillation.cache_teacher_logits(input.tuning.data.train.images, flags.finetune.eval_batch_size);
  compress::fine_tune(model, input.tuning, /*round=*/1, distillation.hooks());
  const auto converted = model_row(model, input, flags);

  report::Table layer_table({"layer", "params", "depthwise-separable"});
  nlohmann::json rows = nlohmann::json::array();
  for (const auto& l : layers) {
    layer_table.add_row(
        {l.layer, report::grouped(l.params_before), report::grouped(l.params_after)});
    rows.push_back(
        {{"layer", l.layer}, {"params_before", l.params_before}, {"params_after", l.params_after}});
  }
  report::Table model_table({"model", "params", "MACs", "test acc",
                             "latency b" + std::to_string(flags.latency_batch) + " ms"});
  for (const auto& [name, row] : {std::pair{"original", original}, {"converted", converted}}) {
    model_table.add_row({name, report::grouped(row["parameters"].get<std::int64_t>()),
                         report::grouped(row["macs"].get<std::int64_t>()),
                         report::percent(row["test_accuracy"].get<double>()),
                         report::fixed(row["latency_ms"].get<double>(), 2)});
  }
  const nlohmann::json result = {{"layers", rows},
                                 {"original", original},
                                 {"converted", converted},
                                 {"batch_norm", conversion.batch_norm},
                                 {"epochs", flags.finetune.epochs},
                                 {"temperature", options.distillation.temperature},
                                 {"alpha", options.distillation.alpha}};
  if (!input.reports()) return;  // rank 0 writes and reports
  const auto json = save_compressed(model, input, flags, "depthwise_conversion", result);
  emit(global, context, json,
       "depthwise-separable conversion of " + model.info().arch + " (distilled, T " +
           report::fixed(options.distillation.temperature, 1) + ", alpha " +
           report::fixed(options.distillation.alpha, 2) + ", " +
           std::to_string(flags.finetune.epochs) + " epochs)\n" + layer_table.render() +
           model_table.render() + "checkpoint: " + flags.output);
}

}  // namespace

void setup_convert(CLI::App& app, GlobalOptions& global) {
  auto options = std::make_shared<ConvertOptions>();
  auto* command = app.add_subcommand(
      "convert",
      "--depthwise: standard convolutions -> depthwise-separable, trained by distillation");
  add_compression_flags(*command, options->flags, /*epochs=*/3);
  command->add_flag("--depthwise", options->depthwise,
                    "each standard k x k conv -> depthwise k x k + pointwise 1 x 1");
  command->add_option("--layers", options->layers,
                      "comma-separated convolutions (default: every standard k x k one)");
  command->add_flag("--no-bn", options->no_batch_norm,
                    "no BatchNorm + ReLU between depthwise and pointwise");
  command
      ->add_option("--temperature", options->distillation.temperature, "distillation temperature T")
      ->check(domain::positive())
      ->capture_default_str();
  command
      ->add_option("--alpha", options->distillation.alpha,
                   "weight of the soft term, alpha T^2 KL + (1 - alpha) CE")
      ->check(domain::fraction())
      ->capture_default_str();
  command->callback([options, &global] { run_convert(*options, global); });
}

}  // namespace nnlab::app
