// The attack's batch size when the user names none, from the size of one input image. Large
// images hold large activations: VGG-16 at 224x224 keeps ~0.1 GB of activations per image for the
// backward pass, so a batch of 64 touches ~4 GB of fresh memory per batch, and the page faults
// and cache misses of that cost more than the larger matrix products save (measured on FGSM with
// VGG-16, docs/BENCHMARKS.md "Memory and the allocator": batch 8 beat 64 in wall and system
// time). Small images (Fashion-MNIST, CIFAR) keep the batch of 64.
#pragma once

#include <cstdint>

namespace nnlab::attack {

// Input elements per batch that the default aims at: 8 images of 3x224x224.
inline constexpr std::int64_t kBatchInputElements = 8 * 3 * 224 * 224;
// The largest default batch (the one small images always had).
inline constexpr std::int64_t kMaxDefaultBatchSize = 64;

// kBatchInputElements / (channels * height * width), within [1, kMaxDefaultBatchSize]:
// 64 for 1x28x28 and 3x32x32, 8 for 3x224x224, 1 for images larger than 8x that.
std::int64_t default_batch_size(std::int64_t channels, std::int64_t height, std::int64_t width);

}  // namespace nnlab::attack
