// nnlab compress --pipeline deep: Deep Compression (Han, Mao & Dally, ICLR 2016) in one command.
//   P  iterative magnitude pruning with fine-tuning: one global threshold (--sparsity), or each
//      layer to its own kept fraction (--keep fc1=0.08,...), on an agp or equal schedule;
//   Q  k-means weight sharing of the kept weights (--conv-bits, --fc-bits; the paper: 8 and 5;
//      --layer-bits for single layers) and centroid fine-tuning;
//   H  Huffman coding of the cluster indices and of the gaps between kept weights: the .nnz file.
// Fine-tuning may distil from the uncompressed model (--distil). The file is read back and
// evaluated, and the paper's table printed: per layer the weights kept, the bits per weight and
// per index before and after Huffman coding, the bytes and the ratio; per stage the accuracy,
// the bytes and the ratio. The work is compress::compress_pipeline; this file is longer than a
// thin command's hundred lines because it binds twenty flags and prints the paper's two tables.
#include <cmath>
#include <map>

#include "commands/commands.h"
#include "compression_flags.h"
#include "flag_domains.h"
#include "model_flags.h"
#include "nnlab/compress/compression_pipeline.h"
#include "nnlab/core/atomic_file.h"
#include "nnlab/core/error.h"
#include "nnlab/models/model_loader.h"
#include "nnlab/report/table.h"

namespace nnlab::app {

namespace {

struct CompressOptions {
  CompressionFlags flags;  // the fine-tuning flags apply to each pruning step
  compress::CompressionOptions compression;
  std::string pipeline = "deep";
  std::string keep;        // "fc1=0.08,fc2=0.09": kept fraction per layer, instead of --sparsity
  std::string layer_bits;  // "fc3=6,conv1=5": bits of single layers, over --conv-bits / --fc-bits
  bool distil = false;
  std::string teacher;  // --distil from this model instead of the uncompressed one
};

std::string ratio_text(double float_bytes, double bytes) {
  return report::fixed(float_bytes / bytes, 1) + "x";
}

// The paper's per-layer table, and its JSON.
report::Table layer_table(const compress::SizeReport& sizes, nlohmann::json& layers) {
  report::Table table(
      {"layer", "weights", "kept", "bits Q (w/idx)", "bits H (w/idx)", "bytes", "ratio"});
  for (const auto& l : sizes.layers) {
    table.add_row(
        {l.name, report::grouped(l.weights), report::percent(l.kept_fraction, 1),
         std::to_string(l.weight_bits) + " / " + (l.sparse ? std::to_string(l.index_bits) : "-"),
         report::fixed(l.weight_bits_huffman, 2) + " / " +
             (l.sparse ? report::fixed(l.index_bits_huffman, 2) : "-"),
         report::grouped(static_cast<long long>(l.bytes)),
         ratio_text(static_cast<double>(l.weights) * 4, l.bytes)});
    layers.push_back(l.to_json());
  }
  table.add_row({"the rest (biases, buffers)",
                 report::grouped(static_cast<long long>(sizes.rest_elements)), "100%",
                 sizes.rest_format, "", report::grouped(static_cast<long long>(sizes.rest_bytes)),
                 ""});
  table.add_row({"file framing and metadata", "", "", "", "",
                 report::grouped(static_cast<long long>(sizes.file_bytes - sizes.tensor_bytes)),
                 ""});
  table.add_row({});
  table.add_row(
      {"total", report::grouped(sizes.weights),
       report::percent(static_cast<double>(sizes.kept) / static_cast<double>(sizes.weights), 1), "",
       "", report::grouped(static_cast<long long>(sizes.file_bytes)),
       ratio_text(sizes.float_bytes, sizes.file_bytes)});
  return table;
}

void run_compress(CompressOptions options, const GlobalOptions& global) {
  if (options.pipeline != "deep") {
    throw core::OptionError("--pipeline",
                            "the one pipeline is 'deep', got '" + options.pipeline + "'");
  }
  auto& flags = options.flags;
  const auto& out = flags.output;
  if (!out.empty() && !output_is_nnz(flags)) {
    throw core::OptionError("--output", "the deep pipeline writes an .nnz file, got '" + out + "'");
  }
  const core::ExecutionContext context = start(global);
  auto input = load_for_compression(flags, global, context);
  auto& model = input.model;
  auto& compression = options.compression;
  const auto prunable = compress::prunable_weights(model);
  if (!options.keep.empty()) {  // the pruned fractions
    compression.pruning.layer_sparsity = parse_layer_values(
        "--keep", options.keep, "FRACTION with a fraction in (0, 1]",
        [](double keep) { return keep > 0 && keep <= 1; }, prunable);
    for (auto& [layer, value] : compression.pruning.layer_sparsity) value = 1 - value;
  }
  if (!options.layer_bits.empty()) {
    for (const auto& [name, bits] : parse_layer_values(
             "--layer-bits", options.layer_bits, "BITS with whole bits in 1..16",
             [](double b) { return b >= 1 && b <= 16 && b == std::floor(b); }, prunable)) {
      compression.clustering.layer_bits[name] = static_cast<int>(bits);
    }
  }
  if (options.distil || !options.teacher.empty()) {
    models::ModelSource teacher_source;
    teacher_source.path = options.teacher;
    compression.teacher = options.teacher.empty()
                              ? models::classifier_from_checkpoint(input.checkpoint, flags.model)
                              : load_model_file(teacher_source);
    compression.teacher->to(context);
  }
  const int steps = compression.pruning.steps;
  compression.pruning.on_step = [&](const compress::PruneStep& step) {
    if (step.step == 0 || !input.reports()) return;
    info(global, "P step " + std::to_string(step.step) + "/" + std::to_string(steps) +
                     ": sparsity " + report::percent(step.sparsity, 1) + ", test accuracy " +
                     report::percent(step.test_accuracy));
  };

  const auto result = compress::compress_pipeline(model, input.tuning, compression);
  // Every rank compressed and tested alike; rank 0 writes and reports.
  if (!input.reports()) return;
  core::write_text_atomically(out, result.bytes);

  const auto& sizes = result.sizes;
  nlohmann::json layers = nlohmann::json::array();
  const auto layer_rows = layer_table(sizes, layers);
  report::Table stages({"stage", "test acc", "bytes", "ratio"});
  nlohmann::json stage_rows = nlohmann::json::array();
  for (const auto& stage : compress::compression_stages(result)) {
    stages.add_row({stage.name, report::percent(stage.test_accuracy),
                    report::grouped(std::llround(stage.bytes)),
                    ratio_text(sizes.float_bytes, stage.bytes)});
    stage_rows.push_back({{"stage", stage.name},
                          {"test_accuracy", stage.test_accuracy},
                          {"bytes", stage.bytes},
                          {"ratio", stage.ratio}});
  }

  const nlohmann::json json = {{"pipeline", "deep"},
                               {"model", flags.model},
                               {"nnz", out},
                               {"stages", stage_rows},
                               {"layers", layers},
                               {"float32_bytes", sizes.float_bytes},
                               {"file_bytes", sizes.file_bytes},
                               {"ratio", sizes.float_bytes / sizes.file_bytes},
                               {"accuracy_drop", result.accuracy.dense - result.accuracy.nnz}};
  emit(global, context, json,
       "Deep Compression of " + model.info().arch + " -> " + out + "\n" + layer_rows.render() +
           "\n" + stages.render());
}

}  // namespace

void setup_compress(CLI::App& app, GlobalOptions& global) {
  auto options = std::make_shared<CompressOptions>();
  auto* command = app.add_subcommand(
      "compress", "Deep Compression: prune, cluster (k-means), Huffman-code into an .nnz file");
  add_compression_flags(*command, options->flags, /*epochs=*/2);
  command->add_option("--pipeline", options->pipeline, "deep (prune, cluster, Huffman)")
      ->capture_default_str();
  command
      ->add_option("--sparsity", options->compression.pruning.magnitude.sparsity,
                   "P: final global sparsity")
      ->check(domain::range(0, 1, /*lo_open=*/false, /*hi_open=*/true))
      ->capture_default_str();
  command->add_option("--keep", options->keep,
                      "P: kept fraction per layer instead, e.g. fc1=0.08,fc2=0.09,fc3=0.26");
  command->add_option("--steps", options->compression.pruning.steps, "P: prune / fine-tune rounds")
      ->check(domain::positive())
      ->capture_default_str();
  command->add_option("--schedule", options->compression.pruning.schedule, "P: equal | agp")
      ->capture_default_str();
  command->add_option("--score", options->compression.pruning.magnitude.score, "P: l1 | l2")
      ->capture_default_str();
  command
      ->add_option("--conv-bits", options->compression.clustering.conv_bits,
                   "Q: bits per conv weight")
      ->check(domain::positive())
      ->capture_default_str();
  command
      ->add_option("--fc-bits", options->compression.clustering.fc_bits,
                   "Q: bits per fully connected weight")
      ->check(domain::positive())
      ->capture_default_str();
  command->add_option("--layer-bits", options->layer_bits,
                      "Q: bits of single layers over those two, e.g. fc3=6,conv1=5");
  command
      ->add_option("--cluster-epochs", options->compression.cluster_epochs,
                   "Q: centroid fine-tuning epochs")
      ->check(domain::non_negative())
      ->capture_default_str();
  command
      ->add_option("--cluster-lr", options->compression.cluster_lr, "Q: centroid fine-tuning rate")
      ->check(domain::positive())
      ->capture_default_str();
  command
      ->add_option("--gap-bits", options->compression.gap_bits,
                   "H: bits per gap between kept weights (0: per layer, the smallest file)")
      ->check(domain::non_negative())
      ->capture_default_str();
  command
      ->add_option("--rest", options->compression.rest,
                   "biases and buffers stored as float16 | float32")
      ->capture_default_str();
  command->add_flag("--distil", options->distil,
                    "fine-tune by distillation from the uncompressed model");
  command->add_option("--teacher", options->teacher,
                      "distil from this model instead (implies --distil)");
  command->add_option("--temperature", options->compression.distillation.temperature, "--distil: T")
      ->check(domain::positive())
      ->capture_default_str();
  command
      ->add_option("--alpha", options->compression.distillation.alpha,
                   "--distil: weight of the soft term")
      ->check(domain::fraction())
      ->capture_default_str();
  command->callback([options, &global] { run_compress(*options, global); });
}

}  // namespace nnlab::app
