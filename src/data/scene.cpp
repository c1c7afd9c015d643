#include "nnlab/data/scene.h"

#include <torch/torch.h>

#include <algorithm>
#include <cctype>
#include <numeric>
#include <random>

#include "nnlab/core/error.h"

namespace nnlab::data {

void SceneOptions::validate(std::int64_t item_height, std::int64_t item_width) const {
  if (min_items < 1 || max_items < min_items)
    throw core::OptionError("SceneOptions.min_items/SceneOptions.max_items",
                            "need 1 <= min items <= max items, got " + std::to_string(min_items) +
                                "/" + std::to_string(max_items));
  if (jitter < 0)
    throw core::OptionError("SceneOptions.jitter", "must be >= 0, got " + std::to_string(jitter));
  const auto rows = height / (item_height + jitter);
  const auto columns = width / (item_width + jitter);
  if (rows * columns < max_items) {
    throw core::OptionError(
        "SceneOptions.width/SceneOptions.height",
        std::to_string(width) + "x" + std::to_string(height) + " holds " +
            std::to_string(std::max<std::int64_t>(rows * columns, 0)) + " items of " +
            std::to_string(item_width) + "x" + std::to_string(item_height) + " (cells of " +
            std::to_string(item_width + jitter) + "x" + std::to_string(item_height + jitter) +
            " with a jitter of " + std::to_string(jitter) + "), " + std::to_string(max_items) +
            " asked");
  }
}

SceneSet compose_scenes(const Dataset& items, std::int64_t count, const SceneOptions& options) {
  if (items.size() == 0) throw std::invalid_argument("no items to compose scenes from");
  const auto channels = items.images.size(1);
  const auto item_h = items.images.size(2), item_w = items.images.size(3);
  options.validate(item_h, item_w);
  const auto cell_h = item_h + options.jitter, cell_w = item_w + options.jitter;
  const auto columns = options.width / cell_w;
  const auto cells = (options.height / cell_h) * columns;
  std::mt19937_64 rng(options.seed);
  const auto uniform = [&](std::int64_t n) {  // 0 .. n-1
    return static_cast<std::int64_t>(rng() % static_cast<std::uint64_t>(n));
  };

  SceneSet set;
  set.class_names = items.class_names;
  set.images = torch::zeros({count, channels, options.height, options.width});
  const auto labels = items.labels.to(torch::kCPU).contiguous();
  std::vector<std::int64_t> order(static_cast<std::size_t>(cells));
  for (std::int64_t s = 0; s < count; ++s) {
    const auto k = options.min_items + uniform(options.max_items - options.min_items + 1);
    std::iota(order.begin(), order.end(), 0);
    std::shuffle(order.begin(), order.end(), rng);
    std::vector<std::int64_t> chosen(order.begin(), order.begin() + k);
    std::sort(chosen.begin(), chosen.end());  // reading order
    std::vector<std::int64_t> scene_labels;
    std::vector<Box> scene_boxes;
    auto canvas = set.images[s];
    for (const auto cell : chosen) {
      const auto row = uniform(items.size());
      Box box;
      box.top = (cell / columns) * cell_h + uniform(options.jitter + 1);
      box.left = (cell % columns) * cell_w + uniform(options.jitter + 1);
      box.height = item_h;
      box.width = item_w;
      canvas.narrow(1, box.top, item_h).narrow(2, box.left, item_w).copy_(items.images[row]);
      scene_labels.push_back(labels.data_ptr<std::int64_t>()[row]);
      scene_boxes.push_back(box);
    }
    set.labels.push_back(std::move(scene_labels));
    set.boxes.push_back(std::move(scene_boxes));
  }
  return set;
}

std::vector<std::string> caption_words(const Dataset& items) {
  std::vector<std::string> words;
  const auto classes = items.num_classes();
  for (std::int64_t c = 0; c < classes; ++c) {
    std::string word = c < static_cast<std::int64_t>(items.class_names.size())
                           ? items.class_names[static_cast<std::size_t>(c)]
                           : std::to_string(c);
    for (auto& ch : word) {
      ch = ch == ' ' ? '-' : static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    }
    words.push_back(word);
  }
  return words;
}

std::pair<std::int64_t, std::int64_t> parse_canvas(const std::string& text) {
  const auto x = text.find('x');
  try {
    if (x == std::string::npos) throw std::invalid_argument(text);
    std::size_t used = 0;
    const auto width = std::stoll(text.substr(0, x), &used);
    if (used != x) throw std::invalid_argument(text);
    const auto rest = text.substr(x + 1);
    const auto height = std::stoll(rest, &used);
    if (used != rest.size() || width < 1 || height < 1) throw std::invalid_argument(text);
    return {height, width};
  } catch (const std::exception&) {
    throw core::OptionError("parse_canvas.text",
                            "expected WIDTHxHEIGHT in pixels, got '" + text + "'");
  }
}

}  // namespace nnlab::data
