// Mixed precision for the span of a scope: inside an AutocastGuard for bf16, LibTorch's autocast
// runs matrix products and convolutions in bfloat16 on float32 weights (cast per use, cached for
// the scope) and keeps what it lists as float32-only (losses, normalization statistics) in float32;
// a guard for fp32 switches autocast off for its scope, so "fp32" always means float32 arithmetic.
// Autocast state is per thread, like LibTorch's; the guard restores what it found.
#pragma once

#include <c10/core/DeviceType.h>
#include <c10/core/ScalarType.h>
#include <torch/types.h>

#include <vector>

#include "nnlab/core/execution_context.h"

namespace nnlab::core {

class AutocastGuard {
 public:
  AutocastGuard(Precision precision, c10::DeviceType device_type);
  ~AutocastGuard();
  AutocastGuard(const AutocastGuard&) = delete;
  AutocastGuard& operator=(const AutocastGuard&) = delete;

 private:
  bool cuda_ = false;
  bool previous_enabled_ = false;
  c10::ScalarType previous_dtype_ = c10::ScalarType::Float;
  bool nested_ = false;  // this guard opened an autocast scope (its cast cache is its own)
};

// Keeps autocast's bf16 casts of float32 weights alive across the AutocastGuard scopes inside it.
// Each Classifier::forward opens its own guard, and the outermost guard frees the casts when it
// ends, so without this every forward casts every weight again: for VGG-16 (138 M weights, 124 M
// of them in the Linear layers, which autocast also runs in bf16) one cast is 0.28 s of CPU
// (python3-torch 1.13, the same LibTorch, 2 threads), against 1.6 s for a bf16 forward of a batch
// of 8 images: 17% at batch 8, 2% at batch 64.
// Autocast is left as it was (off, unless a guard inside turns it on); only the cache lives
// longer. LibTorch caches casts of leaf tensors that require grad (model weights), keyed by the
// tensor, so this is only for weights that do not change inside the scope (attacks, scoring): a
// cast cached before an optimizer step would be stale after it. inactive: does nothing.
class AutocastCacheScope {
 public:
  explicit AutocastCacheScope(bool active);
  ~AutocastCacheScope();
  AutocastCacheScope(const AutocastCacheScope&) = delete;
  AutocastCacheScope& operator=(const AutocastCacheScope&) = delete;

 private:
  bool active_ = false;
};

// Puts a model's 4-D (convolution) weights in the memory format its precision wants, values
// unchanged: channels-last for bf16 (what oneDNN's bf16 convolutions read), contiguous for fp32
// (so fp32 arithmetic is bit for bit what it was). Returns whether there was any 4-D weight.
bool place_convolution_weights(Precision precision, std::vector<torch::Tensor> parameters);

// Whether autocast to bfloat16 is on for this device type in this thread (what a test asks).
bool autocast_bf16_active(c10::DeviceType device_type);

}  // namespace nnlab::core
