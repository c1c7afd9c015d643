// Parameter quantization of a whole model, the quantize command's pass: every Linear and Conv
// weight shared by k-means (with centroid fine-tuning) or uniformly quantized to b bits
// (compress/model_clustering), or every parameter and buffer rounded to float16 (the simplest
// baseline). A pruned model's masks are kept: pruned weights stay zero and out of the clusters.
#pragma once

#include <cstdint>
#include <string>

#include "nnlab/compress/fine_tuning.h"
#include "nnlab/compress/model_clustering.h"
#include "nnlab/compress/pruning_masks.h"
#include "nnlab/models/classifier.h"

namespace nnlab::compress {

struct QuantizationOptions {
  std::string method = "kmeans";  // kmeans | uniform | float16
  int bits = 4;                   // per weight index: kmeans 1..16, uniform 2..16
  bool per_channel = false;       // uniform: levels per output channel
  bool symmetric = false;         // uniform: symmetric levels instead of min/max (affine)
  // The result will be stored as an .nnz file: a pruned weight's kept values then share one
  // codebook, which holds at most 2^15 levels (every channel's, when per channel).
  bool for_nnz = false;
};

struct QuantizationResult {
  ClusteredModel clusters;  // kmeans and uniform: what the .nnz stores as codebooks
  double accuracy_before = 0;
  double accuracy_quantized = 0;
  double accuracy_finetuned = 0;   // after centroid fine-tuning (kmeans); else as quantized
  std::int64_t float32_bytes = 0;  // every parameter as float32
};

// Every floating-point parameter and buffer rounded to float16 (and kept in its own dtype): the
// model that an .nnz file with float16 tensors gives back.
void round_to_float16(models::Classifier& model);

// Quantizes `model` in place; tests it before, after quantizing and after centroid fine-tuning
// (kmeans, tuning.train.epochs of it, round 1). Throws core::OptionError for an unknown method,
// bits out of range, or (for_nnz) a pruned weight with more levels than an .nnz codebook holds.
QuantizationResult quantize_model(models::Classifier& model, const FineTuning& tuning,
                                  const QuantizationOptions& options,
                                  const PruningMasks& masks = {});

}  // namespace nnlab::compress
