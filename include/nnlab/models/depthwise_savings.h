// The parameter arithmetic of depthwise-separable convolutions (Howard et al. 2017, MobileNets,
// section 3.1), for one convolution and for every standard convolution of a model.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "nnlab/models/classifier.h"

namespace nnlab::models {

// Parameters of a k x k convolution from `in` to `out` channels: k*k*in*out (+ out biases).
std::int64_t conv_params(std::int64_t kernel, std::int64_t in, std::int64_t out, bool bias = false);

// The same mapping as a depthwise k x k convolution (one filter per input channel) followed by
// a pointwise 1x1 convolution: k*k*in + in*out (+ in + out biases).
std::int64_t depthwise_separable_params(std::int64_t kernel, std::int64_t in, std::int64_t out,
                                        bool bias = false);

// depthwise_separable_params / conv_params without biases = 1/out + 1/(k*k): the saving grows
// with the kernel and the number of output channels.
double depthwise_separable_ratio(std::int64_t kernel, std::int64_t in, std::int64_t out);

// A standard convolution of a model and what its depthwise-separable form would cost.
struct SeparableSaving {
  std::string name;  // module name, e.g. "features.0"
  std::int64_t kernel = 0, in = 0, out = 0;
  std::int64_t params = 0;            // k*k*in*out (no bias)
  std::int64_t separable_params = 0;  // k*k*in + in*out
  double ratio = 0;                   // separable / standard = 1/out + 1/(k*k)
};

// Every square k x k convolution (k > 1, one group) of a native model, in module order; empty
// for TorchScript modules.
std::vector<SeparableSaving> depthwise_separable_savings(const Classifier& model);

}  // namespace nnlab::models
