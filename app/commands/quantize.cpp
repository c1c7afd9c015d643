// nnlab quantize: weights shared by k-means (with centroid fine-tuning) or uniformly quantized
// to b bits (affine or symmetric, per tensor or per output channel), every Linear and Conv
// weight; or every tensor stored as float16 (the simplest baseline). A pruned model's masks are
// kept (pruned weights stay zero and out of the clusters). Writes the .nnz compressed file when
// --output ends in .nnz, else a checkpoint; reports accuracy before, after quantizing and after
// fine-tuning, and the size of the float32 weights against the file.
#include <filesystem>
#include <map>

#include "commands/commands.h"
#include "compression_flags.h"
#include "flag_domains.h"
#include "nnlab/compress/huffman.h"
#include "nnlab/compress/nnz_format.h"
#include "nnlab/compress/nnz_model.h"
#include "nnlab/compress/pruning_masks.h"
#include "nnlab/compress/weight_clustering.h"
#include "nnlab/core/error.h"
#include "nnlab/models/state_dict.h"
#include "nnlab/report/table.h"

namespace nnlab::app {

namespace {

struct QuantizeOptions {
  CompressionFlags flags;
  std::string method = "kmeans";  // kmeans | uniform | float16
  int bits = 4;
  std::string scheme = "affine";  // uniform: affine | symmetric
  bool per_channel = false;       // uniform
  int gap_bits = 0;
};

void run_quantize(QuantizeOptions options, const GlobalOptions& global) {
  if (options.method != "kmeans" && options.method != "uniform" && options.method != "float16") {
    throw core::OptionError("--method", "kmeans, uniform or float16, got '" + options.method + "'");
  }
  if (options.scheme != "affine" && options.scheme != "symmetric") {
    throw core::OptionError("--scheme", "affine or symmetric, got '" + options.scheme + "'");
  }
  if (options.gap_bits < 0 || options.gap_bits > 16) {
    throw core::OptionError("--gap-bits",
                            "must be in 0..16, got " + std::to_string(options.gap_bits));
  }
  if (options.bits < 1 || options.bits > 16 || (options.method == "uniform" && options.bits < 2)) {
    throw core::OptionError(
        "--bits", "must be in 1..16 (uniform: 2..16), got " + std::to_string(options.bits));
  }
  const core::ExecutionContext context = start(global);
  auto& flags = options.flags;
  auto input = load_for_compression(flags, global, context);
  auto& model = input.model;
  const auto masks = compress::PruningMasks::from_checkpoint(input.checkpoint);
  const double accuracy_before = test_accuracy(model, input, flags);

  const bool writes_nnz = output_is_nnz(flags);
  std::vector<std::pair<std::string, compress::ClusteredTensor>> clusters;
  std::int64_t float_bytes = 0;
  {
    torch::NoGradGuard no_grad;
    for (auto& [name, p] : model.named_parameters()) {
      float_bytes += p.numel() * 4;
      if (p.dim() < 2 || options.method == "float16") continue;
      const auto mask = masks.mask_of(name);
      auto c =
          options.method == "kmeans"
              ? compress::kmeans_cluster(p, mask, {options.bits, 50})
              : compress::uniform_clusters(
                    p, mask, {options.bits, options.per_channel, options.scheme == "symmetric"});
      // A pruned tensor's kept weights share one codebook in the .nnz: every channel's levels.
      if (writes_nnz && mask.defined() &&
          c.centroids.numel() > (std::int64_t{1} << compress::kMaxHuffmanLength)) {
        throw core::OptionError(
            "--per-channel",
            name + ": pruned, with " + std::to_string(c.centroids.numel()) +
                " levels (channels x 2^bits), more than an .nnz sparse codebook's 32768; use "
                "fewer bits or write a checkpoint");
      }
      p.copy_(compress::clustered_weights(c).to(p.device()));
      clusters.emplace_back(name, std::move(c));
    }
    if (options.method == "float16") {  // every parameter and buffer, as the .nnz stores them
      for (auto& [name, t] : models::state_dict(model)) {
        if (t.is_floating_point()) t.copy_(t.to(torch::kHalf).to(t.dtype()));
      }
    }
  }
  const double accuracy_quantized = test_accuracy(model, input, flags);
  double accuracy_finetuned = accuracy_quantized;
  if (options.method == "kmeans" && flags.finetune.epochs > 0) {
    finetune(model, input, flags, /*round=*/1, compress::cluster_gradient_hooks(clusters));
    compress::update_centroids(clusters, model);
    accuracy_finetuned = test_accuracy(model, input, flags);
  }

  nlohmann::json result = {{"method", options.method},
                           {"bits", options.method == "float16" ? 16 : options.bits},
                           {"accuracy_before", accuracy_before},
                           {"accuracy_quantized", accuracy_quantized},
                           {"accuracy_finetuned", accuracy_finetuned},
                           {"float32_bytes", float_bytes}};
  if (!input.reports()) return;  // rank 0 writes and reports
  if (writes_nnz) {
    compress::NnzOptions nnz_options;
    nnz_options.gap_bits = options.gap_bits;
    nnz_options.half_precision_rest = options.method == "float16";
    auto nnz = compress::nnz_from_model(model, clusters, nnz_options);
    nnz.meta = {{"quantization", result}};
    compress::save_nnz(flags.output, nnz);
  } else {
    save_compressed(model, input, flags, "quantization", result);
  }
  const auto file_bytes = static_cast<std::int64_t>(std::filesystem::file_size(flags.output));
  result["file_bytes"] = file_bytes;
  result["checkpoint"] = flags.output;
  emit(global, context, result,
       options.method + " quantization of " + model.info().arch + " to " +
           std::to_string(result["bits"].get<int>()) + " bits\ntest accuracy " +
           report::percent(accuracy_before) + " -> " + report::percent(accuracy_quantized) +
           " quantized -> " + report::percent(accuracy_finetuned) + " after fine-tuning\n" +
           "float32 parameters " + report::grouped(float_bytes) + " bytes, " + flags.output + " " +
           report::grouped(file_bytes) + " bytes (" +
           report::fixed(static_cast<double>(float_bytes) / static_cast<double>(file_bytes), 1) +
           "x)");
}

}  // namespace

void setup_quantize(CLI::App& app, GlobalOptions& global) {
  auto options = std::make_shared<QuantizeOptions>();
  auto* command = app.add_subcommand(
      "quantize",
      "k-means weight sharing (centroid fine-tuning), uniform b-bit or float16 weights; .nnz out");
  add_compression_flags(*command, options->flags, /*epochs=*/1);
  command->add_option("--method", options->method, "kmeans | uniform | float16")
      ->capture_default_str();
  command->add_option("--bits", options->bits, "bits per weight index")
      ->check(domain::positive())
      ->capture_default_str();
  command->add_option("--scheme", options->scheme, "uniform: affine (min/max) | symmetric")
      ->capture_default_str();
  command->add_flag("--per-channel", options->per_channel, "uniform: one scale per output channel");
  command
      ->add_option("--gap-bits", options->gap_bits,
                   ".nnz: bits of the gaps between kept weights of a pruned layer (0: per "
                   "layer, the width that codes smallest)")
      ->check(domain::non_negative())
      ->capture_default_str();
  command->callback([options, &global] { run_quantize(*options, global); });
}

}  // namespace nnlab::app
