// Uniform (linear) quantization of weights to b bits, the baseline of parameter quantization:
//   symmetric  q = clamp(round(w / s), -(2^(b-1) - 1), 2^(b-1) - 1),  s = max|w| / (2^(b-1) - 1)
//   affine     q = clamp(round(w / s) + z, 0, 2^b - 1),  s = (max - min) / (2^b - 1),
//              z = round(-min / s)  (the range widened to hold 0, so a zero weight stays zero)
// per tensor, or per output channel (dim 0). dequantize_uniform gives back s (q - z): the weights
// the b-bit model really computes with -- in float32. This is fake (simulated) quantization, for
// storage and for measuring what b bits cost in accuracy; real int8 execution with LibTorch's
// quantized kernels is another thing and does not live here.
#pragma once

#include <torch/types.h>

namespace nnlab::compress {

struct UniformQuantizationOptions {
  int bits = 8;              // 2..16
  bool per_channel = false;  // one scale per slice of dim 0
  bool symmetric = true;
};

struct FakeQuantizedTensor {
  torch::Tensor codes;       // int32, the shape of the weights
  torch::Tensor scale;       // float, (1) or (C)
  torch::Tensor zero_point;  // int32, (1) or (C); zeros when symmetric
  int bits = 0;
  bool per_channel = false;
};

// Throws std::invalid_argument for bits outside 2..16.
FakeQuantizedTensor quantize_uniform(const torch::Tensor& weights,
                                     const UniformQuantizationOptions& options);
torch::Tensor dequantize_uniform(const FakeQuantizedTensor& quantized);

}  // namespace nnlab::compress
