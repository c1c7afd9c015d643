// Magnitude pruning (Han et al., "Learning both weights and connections", NeurIPS 2015): the
// weights with the smallest importance are set to zero. Importance per weight: |w| ("l1") or w^2
// ("l2") - the same ranking, kept as two names because both appear in the literature. Scope:
// one threshold over every prunable tensor ("global", as torch.nn.utils.prune.global_unstructured)
// or the same ratio in each tensor ("layer"). Prunable: the weight tensors of Linear and Conv
// layers (2-D and up); biases and BatchNorm stay dense.
// Iterative pruning prunes a step, fine-tunes, and repeats; sparsity_schedule gives the targets:
// equal steps, or the cubic schedule of gradual pruning (Zhu & Gupta 2017, "To prune, or not to
// prune"): s_t = s_f + (s_0 - s_f) (1 - t/n)^3.
#pragma once

#include <torch/types.h>

#include <string>
#include <utility>
#include <vector>

#include "nnlab/compress/pruning_masks.h"
#include "nnlab/models/classifier.h"

namespace nnlab::compress {

struct MagnitudePruningOptions {
  double sparsity = 0.5;            // fraction of the prunable weights set to zero, in (0, 1)
  std::string scope = "global";     // global | layer
  std::string score = "l1";         // l1 (|w|) | l2 (w^2)
  std::vector<std::string> layers;  // parameter names to prune; empty: every prunable weight
};

// Names of the prunable weights of a model.
std::vector<std::string> prunable_weights(const models::Classifier& model);

// Masks that prune options.sparsity of the selected weights (already-zero weights go first, so an
// iterative run only ever adds to the pruned set). Does not change the model: apply the masks.
// Throws core::OptionError for a ratio outside (0,1), an unknown scope or score, or a layer the
// model lacks.
PruningMasks magnitude_prune(const models::Classifier& model,
                             const MagnitudePruningOptions& options);

// Each named weight (or layer) pruned by its own ratio, as Deep Compression's per-layer table
// prescribes; a ratio of 0 leaves the layer dense (no mask). Throws core::OptionError for a ratio
// outside [0, 1), a layer the model lacks or one named twice.
PruningMasks magnitude_prune_per_layer(const models::Classifier& model,
                                       const std::vector<std::pair<std::string, double>>& sparsity,
                                       const std::string& score = "l1");

// The sparsity after each of `steps` steps, ending at final_sparsity. kind: equal | agp.
std::vector<double> sparsity_schedule(double final_sparsity, int steps, const std::string& kind,
                                      double initial_sparsity = 0);

}  // namespace nnlab::compress
