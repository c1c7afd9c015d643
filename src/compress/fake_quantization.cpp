#include "nnlab/compress/fake_quantization.h"

#include <torch/torch.h>

#include <stdexcept>
#include <string>

namespace nnlab::compress {

namespace {

// The tensor as (groups, elements per group): one group per tensor or per output channel.
torch::Tensor grouped(const torch::Tensor& w, bool per_channel) {
  return per_channel && w.dim() > 0 ? w.reshape({w.size(0), -1}) : w.reshape({1, -1});
}

// Broadcasts a per-group value over the grouped view.
torch::Tensor column(const torch::Tensor& v) {
  return v.unsqueeze(1);
}

}  // namespace

FakeQuantizedTensor quantize_uniform(const torch::Tensor& weights,
                                     const UniformQuantizationOptions& options) {
  if (options.bits < 2 || options.bits > 16) {
    throw std::invalid_argument("uniform quantization: bits must be in 2..16, got " +
                                std::to_string(options.bits));
  }
  torch::NoGradGuard no_grad;
  const auto w = grouped(weights.detach().to(torch::kFloat), options.per_channel);
  FakeQuantizedTensor q;
  q.bits = options.bits;
  q.per_channel = options.per_channel;
  constexpr double kTiny = 1e-12;  // an all-zero group gets scale kTiny: codes 0
  if (options.symmetric) {
    const double levels = static_cast<double>((1 << (options.bits - 1)) - 1);
    q.scale = (std::get<0>(w.abs().max(1)) / levels).clamp_min(kTiny);
    q.zero_point = torch::zeros(q.scale.sizes(), torch::kInt);
    q.codes = torch::round(w / column(q.scale)).clamp(-levels, levels).to(torch::kInt);
  } else {
    const double top = static_cast<double>((1 << options.bits) - 1);
    const auto low = std::get<0>(w.min(1)).clamp_max(0);  // the range always holds 0
    const auto high = std::get<0>(w.max(1)).clamp_min(0);
    q.scale = ((high - low) / top).clamp_min(kTiny);
    q.zero_point = torch::round(-low / q.scale).clamp(0, top).to(torch::kInt);
    q.codes =
        (torch::round(w / column(q.scale)) + column(q.zero_point)).clamp(0, top).to(torch::kInt);
  }
  q.codes = q.codes.reshape(weights.sizes());
  return q;
}

torch::Tensor dequantize_uniform(const FakeQuantizedTensor& q) {
  const auto codes = grouped(q.codes, q.per_channel).to(torch::kFloat);
  const auto zero = column(q.zero_point).to(torch::kFloat);
  return ((codes - zero) * column(q.scale)).reshape(q.codes.sizes());
}

}  // namespace nnlab::compress
