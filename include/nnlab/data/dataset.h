// An in-memory labelled image set: what every trainer, evaluator and attack consumes.
#pragma once

#include <torch/types.h>

#include <string>
#include <vector>

namespace nnlab::data {

struct Dataset {
  torch::Tensor images;                  // (N, C, H, W) float32 in [0, 1] pixel space, on the CPU.
  torch::Tensor labels;                  // (N) int64 in [0, num_classes).
  std::vector<std::string> class_names;  // index -> name; may be empty (names are indices).
  std::vector<std::string> files;        // per image, its source file name where it has one.
  std::string source;                    // where it came from, for messages.

  std::int64_t size() const { return images.defined() ? images.size(0) : 0; }
  std::int64_t num_classes() const;
  // The first n images (or all if n <= 0 or n >= size()).
  Dataset head(std::int64_t n) const;
  // The rows at index (int64 tensor).
  Dataset select(const torch::Tensor& index) const;
};

struct TrainTestSplit {
  Dataset train;
  Dataset test;
};

}  // namespace nnlab::data
