#include "nnlab/compress/model_clustering.h"

#include <torch/torch.h>

#include <algorithm>

#include "nnlab/compress/magnitude_pruning.h"
#include "nnlab/core/error.h"

namespace nnlab::compress {

namespace {

void check_bits(const char* field, int bits, int low) {
  if (bits < low || bits > 16) {
    throw core::OptionError(
        field, "must be in " + std::to_string(low) + "..16, got " + std::to_string(bits));
  }
}

}  // namespace

void check_cluster_options(const ClusterOptions& options) {
  if (options.method != "kmeans" && options.method != "uniform") {
    throw core::OptionError("ClusterOptions.method",
                            "kmeans or uniform, got '" + options.method + "'");
  }
  const int low = options.method == "uniform" ? 2 : 1;  // uniform levels need a sign bit
  check_bits("ClusterOptions.conv_bits", options.conv_bits, low);
  check_bits("ClusterOptions.fc_bits", options.fc_bits, low);
  for (const auto& [name, bits] : options.layer_bits) {
    check_bits("ClusterOptions.layer_bits", bits, low);
  }
}

ClusteredModel cluster_model(models::Classifier& model, const ClusterOptions& options,
                             const PruningMasks& masks) {
  check_cluster_options(options);
  const auto prunable = prunable_weights(model);
  const auto is_prunable = [&](const std::string& name) {
    return std::find(prunable.begin(), prunable.end(), name) != prunable.end();
  };
  for (const auto& [name, bits] : options.layer_bits) {
    if (!is_prunable(name)) {
      throw core::OptionError("ClusterOptions.layer_bits",
                              "the model has no Linear or Conv weight '" + name + "'");
    }
  }
  ClusteredModel clusters;
  torch::NoGradGuard no_grad;
  for (auto& [name, p] : model.named_parameters()) {
    if (!is_prunable(name)) continue;
    const auto given = options.layer_bits.find(name);
    const int bits = given != options.layer_bits.end() ? given->second
                     : p.dim() > 2                     ? options.conv_bits
                                                       : options.fc_bits;
    const auto mask = masks.mask_of(name);
    auto c = options.method == "kmeans"
                 ? kmeans_cluster(p, mask, {bits, options.max_iterations})
                 : uniform_clusters(p, mask, {bits, options.per_channel, options.symmetric});
    p.copy_(clustered_weights(c).to(p.device()));
    clusters.emplace_back(name, std::move(c));
  }
  return clusters;
}

void tune_centroids(models::Classifier& model, ClusteredModel& clusters, const FineTuning& tuning,
                    int round) {
  if (tuning.train.epochs == 0) return;
  fine_tune(model, tuning, round, cluster_gradient_hooks(clusters));
  update_centroids(clusters, model);
}

}  // namespace nnlab::compress
