// Scenes for caption generation, composed from a classification set such as Fashion-MNIST:
// 2 to 4 items on a black canvas, each in its own cell of a grid (cell = item size + jitter; the
// item sits at a random offset of up to `jitter` pixels inside it), captioned by their class
// names in reading order (cells left to right, top to bottom): "sneaker shirt bag".
// Deterministic: the same set, count and options give the same scenes.
#pragma once

#include <torch/types.h>

#include <cstdint>
#include <string>
#include <vector>

#include "nnlab/data/dataset.h"

namespace nnlab::data {

struct SceneOptions {
  std::int64_t width = 64;
  std::int64_t height = 64;
  std::int64_t min_items = 3;
  std::int64_t max_items = 3;
  std::int64_t jitter = 4;
  std::uint64_t seed = 0;

  // Throws core::OptionError ("SceneOptions.width/SceneOptions.height: 64x32 holds 2 items of 28x28
  // ..., 3 asked") when the canvas has fewer cells than max_items, or a count is out of range.
  void validate(std::int64_t item_height, std::int64_t item_width) const;
};

struct Box {
  std::int64_t top = 0, left = 0, height = 0, width = 0;
  bool contains(double y, double x) const {
    return y >= top && y < top + height && x >= left && x < left + width;
  }
};

struct SceneSet {
  torch::Tensor images;                           // N x C x H x W in [0, 1]
  std::vector<std::vector<std::int64_t>> labels;  // per scene: item classes in reading order
  std::vector<std::vector<Box>> boxes;            // per scene: each item's pixels
  std::vector<std::string> class_names;
  std::int64_t size() const { return images.defined() ? images.size(0) : 0; }
};

// `count` scenes whose items are drawn from `items` (rows picked at random with the seed).
SceneSet compose_scenes(const Dataset& items, std::int64_t count, const SceneOptions& options);

// One caption word per class name: lower case, spaces joined by '-' ("Ankle boot" ->
// "ankle-boot"); class indices when the set has no names.
std::vector<std::string> caption_words(const Dataset& items);

// "64x48" -> {height 48, width 64}; throws core::OptionError naming parse_canvas.text.
std::pair<std::int64_t, std::int64_t> parse_canvas(const std::string& text);

}  // namespace nnlab::data
