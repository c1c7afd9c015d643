// nnlab compress --pipeline deep: Deep Compression (Han, Mao & Dally, ICLR 2016) in one command.
//   P  iterative magnitude pruning with fine-tuning: one global threshold (--sparsity), or each
//      layer to its own kept fraction (--keep fc1=0.08,...), on an agp or equal schedule;
//   Q  k-means weight sharing of the kept weights (--conv-bits, --fc-bits; the paper: 8 and 5;
//      --layer-bits for single layers) and centroid fine-tuning;
//   H  Huffman coding of the cluster indices and of the gaps between kept weights: the .nnz file.
// Fine-tuning may distil from the uncompressed model (--distil). The file is read back and
// evaluated, and the paper's table printed: per layer the weights kept, the bits per weight and
// per index before and after Huffman coding, the bytes and the ratio; per stage the accuracy,
// the bytes and the ratio.
#include <c10/util/accumulate.h>
#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <map>
#include <optional>
#include <sstream>

#include "commands/commands.h"
#include "compression_flags.h"
#include "flag_domains.h"
#include "model_flags.h"
#include "nnlab/compress/distillation.h"
#include "nnlab/compress/huffman.h"
#include "nnlab/compress/magnitude_pruning.h"
#include "nnlab/compress/nnz_format.h"
#include "nnlab/compress/nnz_model.h"
#include "nnlab/compress/weight_clustering.h"
#include "nnlab/core/atomic_file.h"
#include "nnlab/core/error.h"
#include "nnlab/models/checkpoint.h"
#include "nnlab/models/model_loader.h"
#include "nnlab/models/state_dict.h"
#include "nnlab/report/table.h"

namespace nnlab::app {

namespace {

struct CompressOptions {
  CompressionFlags flags;  // the fine-tuning flags apply to each pruning step
  std::string pipeline = "deep";
  double sparsity = 0.9;
  std::string keep;  // "fc1=0.08,fc2=0.09": kept fraction per layer, instead of --sparsity
  int steps = 5;
  std::string schedule = "agp";
  std::string score = "l1";
  int conv_bits = 8;
  int fc_bits = 5;
  std::string layer_bits;  // "fc3=6,conv1=5": bits of single layers, over --conv-bits / --fc-bits
  int cluster_epochs = 2;
  double cluster_lr = 1e-4;
  int gap_bits = 0;
  std::string rest = "float16";
  bool distil = false;
  std::string teacher;  // --distil from this model instead of the uncompressed one
  compress::DistillationOptions distillation;
};

using LayerRatios = std::vector<std::pair<std::string, double>>;

// "fc1=0.08,conv2=0.2" -> {{"fc1.weight", 0.08}, {"conv2.weight", 0.2}}; every value must
// pass `valid` (`expected` says what it should be), every layer must name one of the `prunable`
// weights (by the weight's name or its layer's).
LayerRatios parse_layer_values(const std::string& flag, const std::string& text,
                               const std::string& expected, bool (*valid)(double),
                               const std::vector<std::string>& prunable) {
  LayerRatios out;
  std::stringstream list(text);
  for (std::string item; std::getline(list, item, ',');) {
    const auto eq = item.find('=');
    double value = 0;
    bool ok = false;
    try {
      std::size_t used = 0;
      if (eq != std::string::npos && eq > 0) {
        value = std::stod(item.substr(eq + 1), &used);
        ok = used == item.size() - eq - 1 && valid(value);
      }
    } catch (const std::exception&) {
      ok = false;
    }
    if (!ok) throw core::OptionError(flag, "expected LAYER=" + expected + ", got '" + item + "'");
    auto layer = item.substr(0, eq);
    const auto has = [&](const std::string& name) {
      return std::find(prunable.begin(), prunable.end(), name) != prunable.end();
    };
    if (!has(layer) && has(layer + ".weight")) layer += ".weight";
    if (!has(layer)) {
      std::string known;
      for (const auto& p : prunable) known += (known.empty() ? "" : ", ") + p;
      throw core::OptionError(
          flag, "the model has no prunable weight '" + layer + "' (it has: " + known + ")");
    }
    out.emplace_back(layer, value);
  }
  if (out.empty()) throw core::OptionError(flag, "no layers given");
  return out;
}

// "fc1=0.08,conv2=0.2" -> {{"fc1", 0.92}, {"conv2", 0.8}}: the pruned fractions.
LayerRatios parse_keep(const std::string& text, const std::vector<std::string>& prunable) {
  auto out = parse_layer_values(
      "--keep", text, "FRACTION with a fraction in (0, 1]",
      [](double keep) { return keep > 0 && keep <= 1; }, prunable);
  for (auto& [layer, value] : out) value = 1 - value;
  return out;
}

// The masks of pruning step `step` (1-based) of `steps`.
compress::PruningMasks prune_step(const models::Classifier& model, const CompressOptions& options,
                                  const LayerRatios& per_layer, int step) {
  const auto index = static_cast<std::size_t>(step - 1);
  if (per_layer.empty()) {
    compress::MagnitudePruningOptions pruning;
    pruning.sparsity =
        compress::sparsity_schedule(options.sparsity, options.steps, options.schedule)[index];
    pruning.score = options.score;
    return compress::magnitude_prune(model, pruning);
  }
  LayerRatios now;
  for (const auto& [layer, sparsity] : per_layer) {
    now.emplace_back(layer,
                     compress::sparsity_schedule(sparsity, options.steps, options.schedule)[index]);
  }
  return compress::magnitude_prune_per_layer(model, now, options.score);
}

double bits_per_symbol(const std::vector<std::uint32_t>& symbols, std::uint32_t alphabet) {
  if (symbols.empty()) return 0;
  return static_cast<double>(compress::huffman_encode(symbols, alphabet).bit_count) /
         static_cast<double>(symbols.size());
}

std::string ratio_text(double float_bytes, double bytes) {
  return report::fixed(float_bytes / bytes, 1) + "x";
}

// The per-layer table and the stage sizes of the .nnz model.
struct SizeReport {
  report::Table table{
      {"layer", "weights", "kept", "bits Q (w/idx)", "bits H (w/idx)", "bytes", "ratio"}};
  nlohmann::json layers = nlohmann::json::array();
  double float_bytes = 0;      // every parameter as float32
  double pruned_bytes = 0;     // P: kept weights float32 + fixed-width gaps; the rest float32
  double quantized_bytes = 0;  // P+Q: fixed-width indices and gaps, codebooks; the rest stored
  double file_bytes = 0;       // P+Q+H: the file
};

SizeReport size_report(const models::Classifier& model, const compress::NnzModel& nnz,
                       double file_bytes) {
  SizeReport r;
  r.file_bytes = file_bytes;
  std::map<std::string, bool> is_parameter;
  for (const auto& [name, p] : model.named_parameters()) {
    is_parameter[name] = true;
    r.float_bytes += static_cast<double>(p.numel()) * 4;
  }
  double rest_elements = 0, rest_float = 0, rest_stored = 0, tensor_bytes = 0;
  std::string rest_format = "float32";
  std::int64_t all_weights = 0, all_kept = 0;
  for (const auto& t : nnz.tensors) {
    const auto n = c10::multiply_integers(t.shape);
    const auto stored = static_cast<double>(compress::nnz_tensor_bytes(t));
    tensor_bytes += stored;
    if (t.kind == compress::NnzTensor::Kind::kRaw || t.kind == compress::NnzTensor::Kind::kHalf) {
      rest_elements += static_cast<double>(n);
      rest_stored += stored;
      if (t.kind == compress::NnzTensor::Kind::kHalf) rest_format = "float16";
      if (is_parameter.count(t.name)) {
        rest_float += static_cast<double>(n) * 4;
        all_weights += n;
        all_kept += n;
      }
      continue;
    }
    const bool sparse = t.kind == compress::NnzTensor::Kind::kSparse;
    const auto k = static_cast<double>(t.codebook.size());
    const int bits = static_cast<int>(std::ceil(std::log2(std::max(2.0, k))));
    const auto entries = static_cast<double>(t.indices.size());
    std::int64_t kept = n;
    if (sparse) {
      const auto filler = static_cast<std::uint32_t>(t.codebook.size());
      kept = std::count_if(t.indices.begin(), t.indices.end(),
                           [filler](std::uint32_t i) { return i != filler; });
    }
    const double float_layer = static_cast<double>(n) * 4;
    const double p_bytes = sparse ? entries * (32 + t.gap_bits) / 8 : float_layer;
    const double q_bytes = entries * (bits + (sparse ? t.gap_bits : 0)) / 8 + 4 * k;
    r.pruned_bytes += p_bytes;
    r.quantized_bytes += q_bytes;
    all_weights += n;
    all_kept += kept;
    const double w_bits = bits_per_symbol(t.indices, compress::nnz_index_alphabet(t));
    const double i_bits = sparse ? bits_per_symbol(t.gaps, std::uint32_t{1} << t.gap_bits) : 0;
    const double kept_fraction = static_cast<double>(kept) / static_cast<double>(n);
    r.table.add_row({t.name, report::grouped(n), report::percent(kept_fraction, 1),
                     std::to_string(bits) + " / " + (sparse ? std::to_string(t.gap_bits) : "-"),
                     report::fixed(w_bits, 2) + " / " + (sparse ? report::fixed(i_bits, 2) : "-"),
                     report::grouped(static_cast<long long>(stored)),
                     ratio_text(float_layer, stored)});
    r.layers.push_back({{"name", t.name},
                        {"weights", n},
                        {"kept", kept},
                        {"kept_fraction", kept_fraction},
                        {"weight_bits", bits},
                        {"index_bits", sparse ? t.gap_bits : 0},
                        {"weight_bits_huffman", w_bits},
                        {"index_bits_huffman", i_bits},
                        {"bytes_pruned", p_bytes},
                        {"bytes_quantized", q_bytes},
                        {"bytes", stored},
                        {"ratio", float_layer / stored}});
  }
  r.pruned_bytes += rest_float;
  r.quantized_bytes += rest_stored;
  r.table.add_row({"the rest (biases, buffers)",
                   report::grouped(static_cast<long long>(rest_elements)), "100%", rest_format, "",
                   report::grouped(static_cast<long long>(rest_stored)), ""});
  r.table.add_row({"file framing and metadata", "", "", "", "",
                   report::grouped(static_cast<long long>(file_bytes - tensor_bytes)), ""});
  r.table.add_row({});
  r.table.add_row(
      {"total", report::grouped(all_weights),
       report::percent(static_cast<double>(all_kept) / static_cast<double>(all_weights), 1), "", "",
       report::grouped(static_cast<long long>(file_bytes)), ratio_text(r.float_bytes, file_bytes)});
  return r;
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
  for (const auto& [flag, bits] :
       {std::pair{"--conv-bits", options.conv_bits}, std::pair{"--fc-bits", options.fc_bits}}) {
    if (bits < 1 || bits > 16) {
      throw core::OptionError(flag, "must be in 1..16, got " + std::to_string(bits));
    }
  }
  if (options.rest != "float16" && options.rest != "float32") {
    throw core::OptionError("--rest", "float16 or float32, got '" + options.rest + "'");
  }
  if (options.cluster_epochs < 0) throw core::OptionError("--cluster-epochs", "must be >= 0");
  if (options.gap_bits < 0 || options.gap_bits > 16) {
    throw core::OptionError("--gap-bits",
                            "must be in 0..16, got " + std::to_string(options.gap_bits));
  }
  if (options.keep.empty() && !(options.sparsity > 0 && options.sparsity < 1)) {
    throw core::OptionError("--sparsity",
                            "must be in (0, 1), got " + std::to_string(options.sparsity));
  }
  const core::ExecutionContext context = start(global);
  auto input = load_for_compression(flags, global, context);
  auto& model = input.model;
  const auto prunable = compress::prunable_weights(model);
  const LayerRatios per_layer =
      options.keep.empty() ? LayerRatios{} : parse_keep(options.keep, prunable);
  std::map<std::string, int> bits_of;  // --layer-bits, by weight name
  if (!options.layer_bits.empty()) {
    for (const auto& [name, bits] : parse_layer_values(
             "--layer-bits", options.layer_bits, "BITS with whole bits in 1..16",
             [](double b) { return b >= 1 && b <= 16 && b == std::floor(b); }, prunable)) {
      bits_of[name] = static_cast<int>(bits);
    }
  }
  prune_step(model, options, per_layer, options.steps);  // checks the layers before any work

  train::TrainHooks teacher_hooks;
  std::optional<compress::Distillation> distillation;
  if (options.distil || !options.teacher.empty()) {
    models::ModelSource teacher_source;
    teacher_source.path = options.teacher;
    auto teacher = options.teacher.empty()
                       ? models::classifier_from_checkpoint(input.checkpoint, flags.model)
                       : load_model_file(teacher_source);
    teacher.to(context.device);
    distillation.emplace(std::move(teacher), options.distillation);
    distillation->cache_teacher_logits(input.split.train.images, flags.finetune.eval_batch_size);
    teacher_hooks = distillation->hooks();
  }

  nlohmann::json accuracy;
  accuracy["dense"] = test_accuracy(model, input, flags);
  compress::PruningMasks masks;
  for (int step = 1; step <= options.steps; ++step) {
    masks = prune_step(model, options, per_layer, step);
    masks.apply(model);
    finetune(model, input, flags, step, train::combine_hooks(masks.hooks(), teacher_hooks));
    accuracy["pruned"] = test_accuracy(model, input, flags);  // the last step's stays
    if (input.reports()) {
      info(global, "P step " + std::to_string(step) + "/" + std::to_string(options.steps) +
                       ": sparsity " + report::percent(masks.stats(model).sparsity(), 1) +
                       ", test accuracy " + report::percent(accuracy["pruned"].get<double>()));
    }
  }

  std::vector<std::pair<std::string, compress::ClusteredTensor>> clusters;
  {
    torch::NoGradGuard no_grad;
    for (auto& [name, p] : model.named_parameters()) {
      if (std::find(prunable.begin(), prunable.end(), name) == prunable.end()) continue;
      const auto given = bits_of.find(name);
      const int bits = given != bits_of.end() ? given->second
                       : p.dim() > 2          ? options.conv_bits
                                              : options.fc_bits;
      auto c = compress::kmeans_cluster(p, masks.mask_of(name), {bits, 50});
      p.copy_(compress::clustered_weights(c).to(p.device()));
      clusters.emplace_back(name, std::move(c));
    }
  }
  accuracy["clustered"] = test_accuracy(model, input, flags);
  accuracy["centroids_tuned"] = accuracy["clustered"];
  if (options.cluster_epochs > 0) {
    auto tuning = flags;
    tuning.finetune.epochs = options.cluster_epochs;
    tuning.finetune.lr = options.cluster_lr;
    finetune(model, input, tuning, options.steps + 1,
             train::combine_hooks(compress::cluster_gradient_hooks(clusters), teacher_hooks));
    compress::update_centroids(clusters, model);
    accuracy["centroids_tuned"] = test_accuracy(model, input, flags);
  }

  compress::NnzOptions nnz_options;
  nnz_options.gap_bits = options.gap_bits;
  nnz_options.half_precision_rest = options.rest == "float16";
  auto nnz = compress::nnz_from_model(model, clusters, nnz_options);
  nnz.meta = {{"pipeline", "deep"}};  // the report is the command's output; every byte counts here
  // Every rank decodes the same bytes (and tests its share of the decoded model); rank 0 writes
  // them.
  const std::string bytes = compress::encode_nnz(nnz);
  if (input.reports()) core::write_text_atomically(out, bytes);
  const auto file_bytes = static_cast<double>(bytes.size());
  auto decoded = models::classifier_from_checkpoint(
      compress::nnz_to_checkpoint(compress::decode_nnz(
          reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size(), out)),
      out);
  decoded.to(context.device);
  decoded.eval();
  accuracy["nnz"] = test_accuracy(decoded, input, flags);
  if (!input.reports()) return;

  auto sizes = size_report(model, nnz, file_bytes);
  report::Table stages({"stage", "test acc", "bytes", "ratio"});
  nlohmann::json stage_rows = nlohmann::json::array();
  const auto add_stage = [&](const std::string& stage, double acc, double bytes) {
    stages.add_row({stage, report::percent(acc), report::grouped(std::llround(bytes)),
                    ratio_text(sizes.float_bytes, bytes)});
    stage_rows.push_back({{"stage", stage},
                          {"test_accuracy", acc},
                          {"bytes", bytes},
                          {"ratio", sizes.float_bytes / bytes}});
  };
  add_stage("dense float32", accuracy["dense"], sizes.float_bytes);
  add_stage("pruned (P)", accuracy["pruned"], sizes.pruned_bytes);
  add_stage("clustered (P+Q), before tuning", accuracy["clustered"], sizes.quantized_bytes);
  add_stage("clustered (P+Q), centroids tuned", accuracy["centroids_tuned"], sizes.quantized_bytes);
  add_stage("Huffman-coded .nnz (P+Q+H), read back", accuracy["nnz"], sizes.file_bytes);

  const nlohmann::json result = {
      {"pipeline", "deep"},
      {"model", flags.model},
      {"nnz", out},
      {"stages", stage_rows},
      {"layers", sizes.layers},
      {"float32_bytes", sizes.float_bytes},
      {"file_bytes", sizes.file_bytes},
      {"ratio", sizes.float_bytes / sizes.file_bytes},
      {"accuracy_drop", accuracy["dense"].get<double>() - accuracy["nnz"].get<double>()}};
  emit(global, context, result,
       "Deep Compression of " + model.info().arch + " -> " + out + "\n" + sizes.table.render() +
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
  command->add_option("--sparsity", options->sparsity, "P: final global sparsity")
      ->check(domain::range(0, 1, /*lo_open=*/false, /*hi_open=*/true))
      ->capture_default_str();
  command->add_option("--keep", options->keep,
                      "P: kept fraction per layer instead, e.g. fc1=0.08,fc2=0.09,fc3=0.26");
  command->add_option("--steps", options->steps, "P: prune / fine-tune rounds")
      ->check(domain::positive())
      ->capture_default_str();
  command->add_option("--schedule", options->schedule, "P: equal | agp")->capture_default_str();
  command->add_option("--score", options->score, "P: l1 | l2")->capture_default_str();
  command->add_option("--conv-bits", options->conv_bits, "Q: bits per conv weight")
      ->check(domain::positive())
      ->capture_default_str();
  command->add_option("--fc-bits", options->fc_bits, "Q: bits per fully connected weight")
      ->check(domain::positive())
      ->capture_default_str();
  command->add_option("--layer-bits", options->layer_bits,
                      "Q: bits of single layers over those two, e.g. fc3=6,conv1=5");
  command->add_option("--cluster-epochs", options->cluster_epochs, "Q: centroid fine-tuning epochs")
      ->check(domain::non_negative())
      ->capture_default_str();
  command->add_option("--cluster-lr", options->cluster_lr, "Q: centroid fine-tuning rate")
      ->check(domain::positive())
      ->capture_default_str();
  command
      ->add_option("--gap-bits", options->gap_bits,
                   "H: bits per gap between kept weights (0: per layer, the smallest file)")
      ->check(domain::non_negative())
      ->capture_default_str();
  command->add_option("--rest", options->rest, "biases and buffers stored as float16 | float32")
      ->capture_default_str();
  command->add_flag("--distil", options->distil,
                    "fine-tune by distillation from the uncompressed model");
  command->add_option("--teacher", options->teacher,
                      "distil from this model instead (implies --distil)");
  command->add_option("--temperature", options->distillation.temperature, "--distil: T")
      ->check(domain::positive())
      ->capture_default_str();
  command->add_option("--alpha", options->distillation.alpha, "--distil: weight of the soft term")
      ->check(domain::fraction())
      ->capture_default_str();
  command->callback([options, &global] { run_compress(*options, global); });
}

}  // namespace nnlab::app
