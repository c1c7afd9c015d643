// The attack's batch size when the user names none, from the size of one input image. Large
// images hold large activations, and a batch's activations are fresh memory the allocator must
// find (and, with glibc's malloc, page-fault in) on every batch, while the matrix products gain
// little beyond a few images of 224x224. Measured on FGSM with VGG-16 (docs/BENCHMARKS.md, "Memory
// and the allocator"): with the binary's jemalloc, batches of 16, 32 and 64 cost the same CPU time
// within 1% and batch 8 4% more; with glibc's malloc, batch 8 spent 40% less system time than 64.
// 16 keeps the working set small at no cost. Small images (Fashion-MNIST, CIFAR) keep 64.
#pragma once

#include <cstdint>

namespace nnlab::attack {

// Input elements per batch that the default aims at: 16 images of 3x224x224.
inline constexpr std::int64_t kBatchInputElements = 16 * 3 * 224 * 224;
// The largest default batch (the one small images always had).
inline constexpr std::int64_t kMaxDefaultBatchSize = 64;

// kBatchInputElements / (channels * height * width), within [1, kMaxDefaultBatchSize]:
// 64 for 1x28x28 and 3x32x32, 16 for 3x224x224, 1 for images larger than 16x that.
std::int64_t default_batch_size(std::int64_t channels, std::int64_t height, std::int64_t width);

}  // namespace nnlab::attack
