// Deep Compression (Han, Mao & Dally, ICLR 2016) as one call:
//   P  iterative magnitude pruning with fine-tuning (compress/iterative_pruning): one global
//      sparsity, or each layer its own;
//   Q  k-means weight sharing of the kept weights (compress/model_clustering; the paper: 8 bits
//      per conv weight, 5 per fully connected one) and centroid fine-tuning;
//   H  Huffman coding of the cluster indices and of the gaps between kept weights: the .nnz
//      file (compress/nnz_model), decoded again and tested.
// Every fine-tuning may distil from a teacher (compress/distillation). The result holds the
// file's bytes, the test accuracy after each stage and the size report (compress/size_report).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "nnlab/compress/distillation.h"
#include "nnlab/compress/fine_tuning.h"
#include "nnlab/compress/iterative_pruning.h"
#include "nnlab/compress/model_clustering.h"
#include "nnlab/compress/nnz_format.h"
#include "nnlab/compress/size_report.h"
#include "nnlab/models/classifier.h"

namespace nnlab::compress {

struct CompressionOptions {
  // P: magnitude pruning (method "magnitude"); the paper's schedule: 90% in 5 agp steps.
  PruneRunOptions pruning = [] {
    PruneRunOptions p;
    p.magnitude.sparsity = 0.9;
    p.steps = 5;
    return p;
  }();
  // Q: k-means (method "kmeans") with the paper's bits.
  ClusterOptions clustering = [] {
    ClusterOptions c;
    c.conv_bits = 8;
    c.fc_bits = 5;
    return c;
  }();
  int cluster_epochs = 2;  // centroid fine-tuning (0: none), at cluster_lr
  double cluster_lr = 1e-4;
  // H: bits per gap between kept weights, 1..16; 0: per layer, the width that codes smallest.
  int gap_bits = 0;
  std::string rest = "float16";  // the tensors not clustered (biases, buffers): float16 | float32
  // Distil every fine-tuning from this model (e.g. the uncompressed one) when set.
  std::optional<models::Classifier> teacher;
  DistillationOptions distillation;
};

struct CompressionAccuracy {  // on the test set, after each stage
  double dense = 0;
  double pruned = 0;
  double clustered = 0;
  double centroids_tuned = 0;
  double nnz = 0;  // the .nnz file decoded again
};

struct CompressionResult {
  std::string bytes;  // the .nnz file
  NnzModel nnz;       // what it encodes
  ClusteredModel clusters;
  PruneRunResult pruning;  // each P step
  CompressionAccuracy accuracy;
  SizeReport sizes;  // of the file: sizes.file_bytes == bytes.size()
};

// A row of the paper's stage table: the test accuracy after a stage and the bytes the model
// takes in that stage's form.
struct CompressionStage {
  std::string name;
  double test_accuracy = 0;
  double bytes = 0;
  double ratio = 0;  // float32 bytes over bytes
};

// dense float32, pruned (P), clustered before and after centroid tuning (P+Q), the .nnz file read
// back (P+Q+H).
std::vector<CompressionStage> compression_stages(const CompressionResult& result);

// The checks that need no model, so that a caller may make them before loading one: throws
// core::OptionError for a pruning method other than magnitude, bits outside 1..16, a rest
// format, cluster_epochs < 0, gap_bits outside 0..16, or (without layer_sparsity) a sparsity
// outside (0, 1).
void check_compression_options(const CompressionOptions& options);

// Compresses `model` in place (pruned, clustered, centroids tuned) and returns its .nnz file.
// Throws what check_compression_options, prune_schedule and cluster_model throw (every check
// before any work), core::OptionError for a layer_bits weight the model lacks.
CompressionResult compress_pipeline(models::Classifier& model, const FineTuning& tuning,
                                    const CompressionOptions& options);

}  // namespace nnlab::compress
