// nnlab quantize: weights shared by k-means (with centroid fine-tuning) or uniformly quantized
// to b bits (affine or symmetric, per tensor or per output channel), every Linear and Conv
// weight; or every tensor stored as float16 (the simplest baseline). A pruned model's masks are
// kept (pruned weights stay zero and out of the clusters). Writes the .nnz compressed file when
// --output ends in .nnz, else a checkpoint; reports accuracy before, after quantizing and after
// fine-tuning, and the size of the float32 weights against the file.
#include <filesystem>

#include "commands/commands.h"
#include "compression_flags.h"
#include "flag_domains.h"
#include "nnlab/compress/model_quantization.h"
#include "nnlab/compress/nnz_format.h"
#include "nnlab/compress/nnz_model.h"
#include "nnlab/core/error.h"
#include "nnlab/report/table.h"

namespace nnlab::app {

namespace {

struct QuantizeOptions {
  CompressionFlags flags;
  compress::QuantizationOptions quantization;
  std::string scheme = "affine";  // uniform: affine | symmetric
  int gap_bits = 0;
};

void run_quantize(QuantizeOptions options, const GlobalOptions& global) {
  if (options.scheme != "affine" && options.scheme != "symmetric") {
    throw core::OptionError("--scheme", "affine or symmetric, got '" + options.scheme + "'");
  }
  if (options.gap_bits < 0 || options.gap_bits > 16) {
    throw core::OptionError("--gap-bits",
                            "must be in 0..16, got " + std::to_string(options.gap_bits));
  }
  const core::ExecutionContext context = start(global);
  auto& flags = options.flags;
  auto& quantization = options.quantization;
  quantization.symmetric = options.scheme == "symmetric";
  quantization.for_nnz = output_is_nnz(flags);
  auto input = load_for_compression(flags, global, context);
  auto& model = input.model;
  const auto q = compress::quantize_model(
      model, input.tuning, quantization, compress::PruningMasks::from_checkpoint(input.checkpoint));

  const bool float16 = quantization.method == "float16";
  nlohmann::json result = {{"method", quantization.method},
                           {"bits", float16 ? 16 : quantization.bits},
                           {"accuracy_before", q.accuracy_before},
                           {"accuracy_quantized", q.accuracy_quantized},
                           {"accuracy_finetuned", q.accuracy_finetuned},
                           {"float32_bytes", q.float32_bytes}};
  if (!input.reports()) return;  // rank 0 writes and reports
  if (quantization.for_nnz) {
    compress::NnzOptions nnz_options;
    nnz_options.gap_bits = options.gap_bits;
    nnz_options.half_precision_rest = float16;
    auto nnz = compress::nnz_from_model(model, q.clusters, nnz_options);
    nnz.meta = {{"quantization", result}};
    compress::save_nnz(flags.output, nnz);
  } else {
    save_compressed(model, input, flags, "quantization", result);
  }
  const auto file_bytes = static_cast<std::int64_t>(std::filesystem::file_size(flags.output));
  result["file_bytes"] = file_bytes;
  result["checkpoint"] = flags.output;
  emit(
      global, context, result,
      quantization.method + " quantization of " + model.info().arch + " to " +
          std::to_string(result["bits"].get<int>()) + " bits\ntest accuracy " +
          report::percent(q.accuracy_before) + " -> " + report::percent(q.accuracy_quantized) +
          " quantized -> " + report::percent(q.accuracy_finetuned) + " after fine-tuning\n" +
          "float32 parameters " + report::grouped(q.float32_bytes) + " bytes, " + flags.output +
          " " + report::grouped(file_bytes) + " bytes (" +
          report::fixed(static_cast<double>(q.float32_bytes) / static_cast<double>(file_bytes), 1) +
          "x)");
}

}  // namespace

void setup_quantize(CLI::App& app, GlobalOptions& global) {
  auto options = std::make_shared<QuantizeOptions>();
  auto* command = app.add_subcommand(
      "quantize",
      "k-means weight sharing (centroid fine-tuning), uniform b-bit or float16 weights; .nnz out");
  add_compression_flags(*command, options->flags, /*epochs=*/1);
  command->add_option("--method", options->quantization.method, "kmeans | uniform | float16")
      ->capture_default_str();
  command->add_option("--bits", options->quantization.bits, "bits per weight index")
      ->check(domain::positive())
      ->capture_default_str();
  command->add_option("--scheme", options->scheme, "uniform: affine (min/max) | symmetric")
      ->capture_default_str();
  command->add_flag("--per-channel", options->quantization.per_channel,
                    "uniform: one scale per output channel");
  command
      ->add_option("--gap-bits", options->gap_bits,
                   ".nnz: bits of the gaps between kept weights of a pruned layer (0: per "
                   "layer, the width that codes smallest)")
      ->check(domain::non_negative())
      ->capture_default_str();
  command->callback([options, &global] { run_quantize(*options, global); });
}

}  // namespace nnlab::app
