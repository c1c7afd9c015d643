// Weight sharing by k-means (Deep Compression, Han, Mao & Dally 2016, section 3): the weights of
// a layer are clustered into k = 2^b centroids, each weight is replaced by its centroid and stored
// as a b-bit index. Centroids start spread linearly over [min, max] (the initialization the paper
// found best: it keeps the rare large weights, which matter most). Weights a pruning mask removed
// take no part and stay zero.
//
// Fine-tuning the shared weights: the gradient of a centroid is the sum of the gradients of the
// weights in its cluster. cluster_gradient_hooks replaces each weight's gradient by its cluster's
// sum, so that all weights of a cluster take the same steps (with SGD or Adam alike, as they
// start equal) and stay one shared value.
#pragma once

#include <torch/types.h>

#include <string>
#include <vector>

#include "nnlab/compress/fake_quantization.h"
#include "nnlab/models/classifier.h"
#include "nnlab/train/trainer.h"

namespace nnlab::compress {

struct ClusteredTensor {
  torch::Tensor centroids;  // (k) float
  torch::Tensor indices;    // int64, the weights' shape; -1 where the mask removed the weight
  // > 1: the centroids are one codebook per slice of dim 0, of k / rows entries each, and
  // slice r's weights index r * (k / rows) + q (per-channel uniform quantization).
  std::int64_t rows = 1;
};

struct KMeansOptions {
  int bits = 4;  // k = 2^bits, 1..16
  int max_iterations = 50;
};

// Clusters the weights where mask != 0 (an undefined mask: all of them). Lloyd iterations until
// no assignment changes or max_iterations. Throws std::invalid_argument for bits outside 1..16.
ClusteredTensor kmeans_cluster(const torch::Tensor& weights, const torch::Tensor& mask,
                               const KMeansOptions& options);

// Uniform quantization (compress/quantization) in the same form: the 2^b levels s (q - z) as the
// codebook, the codes as indices; -1 where mask is 0. Per channel, the codebook holds every
// channel's levels one after the other (channel c's code q is index c 2^b + q).
ClusteredTensor uniform_clusters(const torch::Tensor& weights, const torch::Tensor& mask,
                                 const UniformQuantizationOptions& options);

// After centroid fine-tuning: each centroid takes its cluster's value in `weights` (all the
// weights of a cluster are equal then; cluster_gradient_hooks keeps them so).
void update_centroids(ClusteredTensor& clustered, const torch::Tensor& weights);
// The same for each named clustering, from the model's parameter of that name.
void update_centroids(std::vector<std::pair<std::string, ClusteredTensor>>& clusters,
                      const models::Classifier& model);

// centroids[indices], 0 where indices is -1.
torch::Tensor clustered_weights(const ClusteredTensor& clustered);

// Trainer hooks for centroid fine-tuning of the named parameters (their clustering given):
// after each backward pass a parameter's gradient becomes its cluster's summed gradient (zero
// for pruned weights).
train::TrainHooks cluster_gradient_hooks(
    const std::vector<std::pair<std::string, ClusteredTensor>>& clusters);

}  // namespace nnlab::compress
