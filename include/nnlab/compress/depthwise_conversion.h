// Depthwise-separable conversion (Howard et al. 2017, MobileNets): each standard k x k
// convolution (k > 1, one group) becomes a depthwise k x k convolution with the same stride,
// padding and dilation, optionally BatchNorm and ReLU, and a pointwise 1 x 1 convolution
// (models/layer_surgery.h "separate"): k k I + I O weights instead of k k I O. The new layers
// start freshly initialized and every other layer keeps its weights; train the result, best by
// distillation from the original (nnlab convert does).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "nnlab/models/classifier.h"

namespace nnlab::compress {

struct DepthwiseConversionOptions {
  std::vector<std::string> layers;  // convolutions by module path; empty: separable_candidates
  bool batch_norm = true;           // BatchNorm + ReLU between depthwise and pointwise
};

struct ConvertedLayer {
  std::string layer;
  std::int64_t params_before = 0, params_after = 0;  // weights, biases and the new BatchNorm
};

// The standard k x k convolutions of a native model that can be converted (their parent is a
// Layers list), in module order, except the first convolution when it reads the image (a
// separable filter bank over 1 or 3 channels is rank 1 or 3; MobileNet keeps it standard).
std::vector<std::string> separable_candidates(const models::Classifier& model);

// Converts in place and records the edits in model.info(). Throws core::OptionError when a named
// layer is missing, not a standard k x k convolution or cannot be replaced, or none is found.
std::vector<ConvertedLayer> convert_to_depthwise(models::Classifier& model,
                                                 const DepthwiseConversionOptions& options);

}  // namespace nnlab::compress
