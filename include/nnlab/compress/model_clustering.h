// Weight sharing of a whole model: every Linear and Conv weight (compress::prunable_weights)
// clustered by k-means or uniform levels (compress/weight_clustering), its values replaced by its
// cluster's, pruned weights left out and zero; then, optionally, the centroids fine-tuned
// (Deep Compression, Han, Mao & Dally 2016, section 3.1: the gradient of a centroid is the sum of
// its weights' gradients). The quantize and compress commands both run this walk.
#pragma once

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "nnlab/compress/fine_tuning.h"
#include "nnlab/compress/pruning_masks.h"
#include "nnlab/compress/weight_clustering.h"
#include "nnlab/models/classifier.h"

namespace nnlab::compress {

struct ClusterOptions {
  std::string method = "kmeans";  // kmeans | uniform
  int conv_bits = 4;              // codebook bits of a convolution's weight (more than 2 dims)
  int fc_bits = 4;                // of a Linear weight (2 dims)
  // Single weights' bits, by weight name ("fc3.weight"), over conv_bits and fc_bits.
  std::map<std::string, int> layer_bits;
  int max_iterations = 50;   // kmeans: Lloyd iterations at most
  bool per_channel = false;  // uniform: levels per slice of dim 0
  bool symmetric = false;    // uniform: symmetric levels instead of min/max (affine)
};

// Each clustered weight by name, in the model's parameter order: what the .nnz stores
// (compress/nnz_model) and what centroid tuning updates.
using ClusteredModel = std::vector<std::pair<std::string, ClusteredTensor>>;

// Throws core::OptionError for an unknown method, bits outside 1..16 (uniform: 2..16) or a
// layer_bits weight the model lacks.
void check_cluster_options(const ClusterOptions& options);

// Clusters every prunable weight of the model (where masks has a mask, only its kept weights)
// and writes the shared values into the model. Throws what check_cluster_options throws, and
// core::OptionError for a layer_bits name that is not a prunable weight of the model.
ClusteredModel cluster_model(models::Classifier& model, const ClusterOptions& options,
                             const PruningMasks& masks = {});

// Centroid fine-tuning: tuning.train.epochs of training (none when 0) in which each weight's
// gradient is its cluster's sum, then each centroid read back from the model.
void tune_centroids(models::Classifier& model, ClusteredModel& clusters, const FineTuning& tuning,
                    int round);

}  // namespace nnlab::compress
