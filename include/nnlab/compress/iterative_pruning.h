// Iterative pruning with fine-tuning (Han et al. 2015; Zhu & Gupta 2017): prune a step, fine-tune,
// test, repeat until the final target. Unstructured ("magnitude": weights set to zero under masks
// that fine-tuning keeps, one sparsity for every selected weight or each weight its own, as Deep
// Compression's per-layer table) or structured ("channel": whole filters and neurons removed,
// each step down to a MAC target). prune_schedule gives every step's target: the sparsity
// schedule (equal or the cubic agp one), or for channels the MACs left after each step. The prune
// command runs this loop, and the compress pipeline runs it as its P stage.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "nnlab/compress/channel_pruning.h"
#include "nnlab/compress/fine_tuning.h"
#include "nnlab/compress/magnitude_pruning.h"
#include "nnlab/compress/pruning_masks.h"
#include "nnlab/models/classifier.h"

namespace nnlab::models {
struct ModelSummary;
}

namespace nnlab::compress {

// What one step prunes to.
struct PruneTarget {
  double sparsity = 0;  // magnitude: of the selected weights (when layer_sparsity is empty)
  std::vector<std::pair<std::string, double>> layer_sparsity;  // magnitude: each weight's
  std::int64_t macs = 0;                                       // channel: MACs per image at most
};

struct PruneStep {
  int step = 0;        // 0: the model before pruning
  PruneTarget target;  // what the step pruned to (step 0: nothing)
  double test_accuracy = 0;
  double sparsity = 0;  // magnitude: of the masked weights
  // With PruneRunOptions::measure: magnitude: the parameters left and the MACs of the weights
  // left (remaining_macs); channel: the model's parameters and MACs. And the measured latency.
  std::int64_t parameters = 0;
  double macs = 0;
  double latency_ms = 0;
};

struct PruneRunOptions {
  std::string method = "magnitude";  // magnitude | channel
  // magnitude: the final sparsity, scope, score and the weights to prune.
  MagnitudePruningOptions magnitude;
  // magnitude: instead of magnitude.sparsity, each weight's (or layer's) final sparsity in
  // [0, 1); scope and layers are then unused.
  std::vector<std::pair<std::string, double>> layer_sparsity;
  // channel: importance and groups; channels.ratio is the final ratio when target_macs is 0.
  ChannelPruningOptions channels;
  double target_macs = 0;  // channel: the fraction of the model's MACs to keep, in (0, 1)
  int steps = 1;
  std::string schedule = "agp";  // equal | agp (cubic)
  // Each step also counts parameters and MACs and times a forward pass (latency_batch images).
  bool measure = false;
  std::int64_t latency_batch = 64;
  // Called after each step (and for step 0) with its row, e.g. to print progress.
  std::function<void(const PruneStep&)> on_step;
};

struct PruneRunResult {
  std::vector<PruneStep> steps;  // step 0 (before pruning), then each step
  PruningMasks masks;            // magnitude: the final masks (those given, when no step ran)
};

// The target of each of options.steps steps, checked before any work: throws core::OptionError
// for an unknown method, steps < 1, a sparsity or target_macs out of range, a weight or group the
// model lacks (from the pruning functions themselves), or a MAC target no ratio reaches.
std::vector<PruneTarget> prune_schedule(models::Classifier& model, const PruneRunOptions& options);

// MACs of the weights that are left: each layer's MACs (from a summary of the dense model) times
// the density of its masked weights.
double remaining_macs(const models::ModelSummary& summary, const PruningMasks& masks);

// Applies `masks` (a pruned model's, e.g. from its checkpoint; new steps add to them), then runs
// the steps: prune to the step's target, fine-tune (round = the step), test. Throws what
// prune_schedule throws, and core::OptionError for channel pruning of a model with masks.
PruneRunResult prune_and_finetune(models::Classifier& model, const FineTuning& tuning,
                                  const PruneRunOptions& options, PruningMasks masks = {});

}  // namespace nnlab::compress
