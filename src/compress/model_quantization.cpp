#include "nnlab/compress/model_quantization.h"

#include <torch/torch.h>

#include "nnlab/compress/huffman.h"
#include "nnlab/core/error.h"
#include "nnlab/models/state_dict.h"

namespace nnlab::compress {

void round_to_float16(models::Classifier& model) {
  torch::NoGradGuard no_grad;
  for (auto& [name, t] : models::state_dict(model)) {
    if (t.is_floating_point()) t.copy_(t.to(torch::kHalf).to(t.dtype()));
  }
}

QuantizationResult quantize_model(models::Classifier& model, const FineTuning& tuning,
                                  const QuantizationOptions& options, const PruningMasks& masks) {
  const bool float16 = options.method == "float16";
  if (options.method != "kmeans" && options.method != "uniform" && !float16) {
    throw core::OptionError("QuantizationOptions.method",
                            "kmeans, uniform or float16, got '" + options.method + "'");
  }
  if (options.bits < 1 || options.bits > 16 || (options.method == "uniform" && options.bits < 2)) {
    throw core::OptionError("QuantizationOptions.bits", "must be in 1..16 (uniform: 2..16), got " +
                                                            std::to_string(options.bits));
  }
  ClusterOptions clustering;
  clustering.method = options.method;
  clustering.conv_bits = clustering.fc_bits = options.bits;
  clustering.per_channel = options.per_channel;
  clustering.symmetric = options.symmetric;

  QuantizationResult r;
  for (const auto& p : model.parameters()) r.float32_bytes += p.numel() * 4;
  r.accuracy_before = test_accuracy(model, tuning);
  if (float16) {
    round_to_float16(model);
  } else {
    r.clusters = cluster_model(model, clustering, masks);
    for (const auto& [name, c] : r.clusters) {
      // A pruned tensor's kept weights share one codebook in the .nnz: every channel's levels.
      if (options.for_nnz && masks.mask_of(name).defined() &&
          c.centroids.numel() > (std::int64_t{1} << kMaxHuffmanLength)) {
        throw core::OptionError(
            "QuantizationOptions.per_channel",
            name + ": pruned, with " + std::to_string(c.centroids.numel()) +
                " levels (channels x 2^bits), more than an .nnz sparse codebook's 32768; use "
                "fewer bits or write a checkpoint");
      }
    }
  }
  r.accuracy_quantized = test_accuracy(model, tuning);
  r.accuracy_finetuned = r.accuracy_quantized;
  if (options.method == "kmeans" && tuning.train.epochs > 0) {
    tune_centroids(model, r.clusters, tuning, /*round=*/1);
    r.accuracy_finetuned = test_accuracy(model, tuning);
  }
  return r;
}

}  // namespace nnlab::compress
