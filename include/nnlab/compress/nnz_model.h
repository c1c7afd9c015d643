// A model in the .nnz file's terms (compress/nnz_format.h): which tensors are stored as codebook
// and indices (dense or sparse), which raw, and the way back to a checkpoint.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "nnlab/compress/nnz_format.h"
#include "nnlab/compress/weight_clustering.h"
#include "nnlab/models/checkpoint.h"
#include "nnlab/models/classifier.h"

namespace nnlab::compress {

struct NnzOptions {
  int gap_bits = 0;                  // width of the stored gaps, 1..16; 0: per tensor, the smallest
  bool half_precision_rest = false;  // the tensors that are not clustered as float16, not float32
};

// The .nnz form of a model: each tensor named in `clusters` as its codebook and indices -- sparse
// (positions as gaps) when its clustering leaves weights out (index -1), dense otherwise; every
// other parameter and buffer raw (float32 or float16). Throws std::invalid_argument for gap bits
// outside 0..16.
NnzModel nnz_from_model(const models::Classifier& model,
                        const std::vector<std::pair<std::string, ClusteredTensor>>& clusters,
                        const NnzOptions& options = {});

// The model as a checkpoint (info and dense state), for classifier_from_checkpoint.
models::Checkpoint nnz_to_checkpoint(const NnzModel& model);

}  // namespace nnlab::compress
