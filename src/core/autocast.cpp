#include "nnlab/core/autocast.h"

#include <ATen/autocast_mode.h>

namespace nnlab::core {

namespace {

bool enabled(bool cuda) {
  return cuda ? at::autocast::is_enabled() : at::autocast::is_cpu_enabled();
}

c10::ScalarType dtype(bool cuda) {
  return cuda ? at::autocast::get_autocast_gpu_dtype() : at::autocast::get_autocast_cpu_dtype();
}

void set(bool cuda, bool on, c10::ScalarType type) {
  if (cuda) {
    at::autocast::set_enabled(on);
    at::autocast::set_autocast_gpu_dtype(type);
  } else {
    at::autocast::set_cpu_enabled(on);
    at::autocast::set_autocast_cpu_dtype(type);
  }
}

}  // namespace

AutocastGuard::AutocastGuard(Precision precision, c10::DeviceType device_type)
    : cuda_(device_type == c10::DeviceType::CUDA),
      previous_enabled_(enabled(cuda_)),
      previous_dtype_(dtype(cuda_)) {
  const bool bf16 = precision == Precision::kBf16;
  set(cuda_, bf16, bf16 ? c10::ScalarType::BFloat16 : previous_dtype_);
  if (bf16) {
    at::autocast::increment_nesting();
    nested_ = true;
  }
}

AutocastGuard::~AutocastGuard() {
  // The weights cast to bf16 are cached while a scope is open; the outermost scope frees them.
  if (nested_ && at::autocast::decrement_nesting() == 0) at::autocast::clear_cache();
  set(cuda_, previous_enabled_, previous_dtype_);
}

AutocastCacheScope::AutocastCacheScope(bool active) : active_(active) {
  if (active_) at::autocast::increment_nesting();
}

AutocastCacheScope::~AutocastCacheScope() {
  if (active_ && at::autocast::decrement_nesting() == 0) at::autocast::clear_cache();
}

bool place_convolution_weights(Precision precision, std::vector<torch::Tensor> parameters) {
  const auto format =
      precision == Precision::kBf16 ? at::MemoryFormat::ChannelsLast : at::MemoryFormat::Contiguous;
  bool four_d = false;
  const at::NoGradGuard no_grad;
  for (auto& parameter : parameters) {
    if (parameter.dim() != 4) continue;
    four_d = true;
    if (!parameter.is_contiguous(format)) parameter.set_data(parameter.contiguous(format));
  }
  return four_d;
}

bool autocast_bf16_active(c10::DeviceType device_type) {
  const bool cuda = device_type == c10::DeviceType::CUDA;
  return enabled(cuda) && dtype(cuda) == c10::ScalarType::BFloat16;
}

}  // namespace nnlab::core
