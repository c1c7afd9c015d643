#include "nnlab/compress/compression_pipeline.h"

#include <torch/torch.h>

#include <algorithm>
#include <tuple>

#include "nnlab/compress/magnitude_pruning.h"
#include "nnlab/compress/nnz_model.h"
#include "nnlab/core/error.h"
#include "nnlab/models/checkpoint.h"

namespace nnlab::compress {

void check_compression_options(const CompressionOptions& options) {
  if (options.pruning.method != "magnitude") {
    throw core::OptionError(
        "PruneRunOptions.method",
        "Deep Compression prunes weights (magnitude), got '" + options.pruning.method + "'");
  }
  check_cluster_options(options.clustering);
  if (options.rest != "float16" && options.rest != "float32") {
    throw core::OptionError("CompressionOptions.rest",
                            "float16 or float32, got '" + options.rest + "'");
  }
  if (options.cluster_epochs < 0) {
    throw core::OptionError("CompressionOptions.cluster_epochs", "must be >= 0");
  }
  if (options.gap_bits < 0 || options.gap_bits > 16) {
    throw core::OptionError("CompressionOptions.gap_bits",
                            "must be in 0..16, got " + std::to_string(options.gap_bits));
  }
  const double sparsity = options.pruning.magnitude.sparsity;
  if (options.pruning.layer_sparsity.empty() && !(sparsity > 0 && sparsity < 1)) {
    throw core::OptionError("MagnitudePruningOptions.sparsity",
                            "must be in (0, 1), got " + std::to_string(sparsity));
  }
}

std::vector<CompressionStage> compression_stages(const CompressionResult& result) {
  const auto& a = result.accuracy;
  const auto& s = result.sizes;
  std::vector<CompressionStage> stages;
  for (const auto& [name, accuracy, bytes] :
       {std::tuple{"dense float32", a.dense, s.float_bytes},
        std::tuple{"pruned (P)", a.pruned, s.pruned_bytes},
        std::tuple{"clustered (P+Q), before tuning", a.clustered, s.quantized_bytes},
        std::tuple{"clustered (P+Q), centroids tuned", a.centroids_tuned, s.quantized_bytes},
        std::tuple{"Huffman-coded .nnz (P+Q+H), read back", a.nnz, s.file_bytes}}) {
    stages.push_back({name, accuracy, bytes, s.float_bytes / bytes});
  }
  return stages;
}

CompressionResult compress_pipeline(models::Classifier& model, const FineTuning& tuning,
                                    const CompressionOptions& options) {
  check_compression_options(options);
  const auto prunable = prunable_weights(model);
  for (const auto& [name, bits] : options.clustering.layer_bits) {
    if (std::find(prunable.begin(), prunable.end(), name) == prunable.end()) {
      throw core::OptionError("ClusterOptions.layer_bits",
                              "the model has no Linear or Conv weight '" + name + "'");
    }
  }
  prune_schedule(model, options.pruning);  // checks the layers before any work

  auto tuned = tuning;
  std::optional<Distillation> distillation;  // its hooks point at it: it lives until the end
  if (options.teacher) {
    distillation.emplace(*options.teacher, options.distillation);
    distillation->cache_teacher_logits(tuning.data.train.images, tuning.train.eval_batch_size);
    tuned.hooks = train::combine_hooks(tuning.hooks, distillation->hooks());
  }

  CompressionResult r;
  r.pruning = prune_and_finetune(model, tuned, options.pruning);
  r.accuracy.dense = r.pruning.steps.front().test_accuracy;
  r.accuracy.pruned = r.pruning.steps.back().test_accuracy;

  r.clusters = cluster_model(model, options.clustering, r.pruning.masks);
  r.accuracy.clustered = test_accuracy(model, tuned);
  r.accuracy.centroids_tuned = r.accuracy.clustered;
  if (options.cluster_epochs > 0) {
    auto centroids = tuned;
    centroids.train.epochs = options.cluster_epochs;
    centroids.train.lr = options.cluster_lr;
    tune_centroids(model, r.clusters, centroids, options.pruning.steps + 1);
    r.accuracy.centroids_tuned = test_accuracy(model, tuned);
  }

  NnzOptions nnz_options;
  nnz_options.gap_bits = options.gap_bits;
  nnz_options.half_precision_rest = options.rest == "float16";
  r.nnz = nnz_from_model(model, r.clusters, nnz_options);
  r.nnz.meta = {{"pipeline", "deep"}};  // the size report says the rest; every byte counts here
  r.bytes = encode_nnz(r.nnz);
  // The file's bytes decoded again, as a reader of the file gets them.
  const std::string source = "the compressed model";
  auto decoded = models::classifier_from_checkpoint(
      nnz_to_checkpoint(decode_nnz(reinterpret_cast<const std::uint8_t*>(r.bytes.data()),
                                   r.bytes.size(), source)),
      source);
  decoded.to(model.device());
  decoded.eval();
  r.accuracy.nnz = test_accuracy(decoded, tuned);
  r.sizes = size_report(model, r.nnz, static_cast<double>(r.bytes.size()));
  return r;
}

}  // namespace nnlab::compress
