// A MobileNet-style network for 28x28 images (Howard et al., "MobileNets", 2017): one standard
// 3x3 convolution, then depthwise-separable blocks -- a depthwise 3x3 convolution (one filter
// per channel), BatchNorm, ReLU, a pointwise 1x1 convolution, BatchNorm, ReLU -- global average
// pooling and one linear layer. The width multiplier alpha scales every layer's channels; the
// zoo has alpha = 1, 0.75, 0.5 and 0.25 as mobilenet, mobilenet-0.75, mobilenet-0.5 and
// mobilenet-0.25. At alpha = 1 it has about 136 k parameters (the cnn: 871 k) and 12 M MACs.
//   features:   0 conv 32a@3x3  1 bn  2 relu, then for each block (64a, 1) (128a, 2) (128a, 1)
//               (256a, 2) (256a, 1) -- (output channels, stride of the depthwise convolution) --
//               six layers: dw conv 3x3, bn, relu, pw conv 1x1, bn, relu ("3" ... "32")
//   pool:       global average
//   classifier: 0 flatten 1 dropout 0.2 2 linear 256a->C
// Convolutions have no bias (the BatchNorm after each one has it).
#pragma once

#include <torch/nn/pimpl.h>

#include <cstdint>

#include "nnlab/models/layers.h"

namespace nnlab::models {

struct MobileNetImpl : LayersImpl {
  MobileNetImpl(double width_multiplier, std::int64_t num_classes = 10,
                std::int64_t in_channels = 1);
};
TORCH_MODULE(MobileNet);

// Channels scaled by the width multiplier, rounded, at least 1.
std::int64_t scaled_channels(std::int64_t channels, double width_multiplier);

}  // namespace nnlab::models
