#include "nnlab/data/scene.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include "nnlab/core/error.h"

namespace nnlab::data {
namespace {

// 10 items of 28x28, item i filled with the value (i + 1) / 10 and of class i % 5.
Dataset items() {
  Dataset d;
  d.images = torch::arange(1, 11)
                 .to(torch::kFloat)
                 .div(10)
                 .view({10, 1, 1, 1})
                 .expand({10, 1, 28, 28})
                 .contiguous();
  d.labels = torch::arange(10, torch::kInt64).remainder(5);
  d.class_names = {"T-shirt/top", "Trouser", "Ankle boot", "Bag", "Coat"};
  return d;
}

TEST(Scene, ItemsSitInTheirCellsInReadingOrder) {
  SceneOptions o;
  o.width = 96;
  o.height = 64;  // 3 x 2 cells of 32
  o.min_items = 2;
  o.max_items = 4;
  o.seed = 5;
  const auto set = compose_scenes(items(), 50, o);
  ASSERT_EQ(set.size(), 50);
  EXPECT_EQ(set.images.sizes(), (std::vector<std::int64_t>{50, 1, 64, 96}));
  std::set<std::size_t> counts;
  for (std::int64_t s = 0; s < set.size(); ++s) {
    const auto& boxes = set.boxes[static_cast<std::size_t>(s)];
    const auto& labels = set.labels[static_cast<std::size_t>(s)];
    ASSERT_EQ(boxes.size(), labels.size());
    counts.insert(boxes.size());
    double painted = 0;
    for (std::size_t k = 0; k < boxes.size(); ++k) {
      const auto& b = boxes[k];
      EXPECT_GE(b.top, 0);
      EXPECT_LE(b.top + 28, 64);
      EXPECT_LE(b.left + 28, 96);
      // The pasted item's value says which source item it is, hence its class.
      const auto patch = set.images[s][0].narrow(0, b.top, 28).narrow(1, b.left, 28);
      const float value = patch[0][0].item<float>();
      EXPECT_TRUE(torch::all(patch == value).item<bool>());
      const auto item = static_cast<std::int64_t>(std::lround(value * 10)) - 1;
      EXPECT_EQ(labels[k], item % 5);
      painted += 28 * 28;
      if (k > 0) {  // reading order: the cells go left to right, then top to bottom
        const auto& a = boxes[k - 1];
        EXPECT_LT((a.top / 32) * 3 + a.left / 32, (b.top / 32) * 3 + b.left / 32);
      }
    }
    // Nothing but the items is painted (cells never overlap).
    EXPECT_EQ(set.images[s].gt(0).sum().item<double>(), painted);
  }
  EXPECT_EQ(counts, (std::set<std::size_t>{2, 3, 4}));
  // Deterministic.
  EXPECT_TRUE(torch::equal(compose_scenes(items(), 50, o).images, set.images));
}

TEST(Scene, ACanvasTooSmallIsAnError) {
  SceneOptions o;
  o.width = 64;
  o.height = 32;
  o.min_items = o.max_items = 3;
  try {
    compose_scenes(items(), 1, o);
    FAIL();
  } catch (const core::OptionError& e) {
    EXPECT_EQ(std::string(e.what()),
              "SceneOptions.width/SceneOptions.height: 64x32 holds 2 items of 28x28 (cells of "
              "32x32 with a jitter of 4), 3 "
              "asked");
  }
  EXPECT_THROW(parse_canvas("64by64"), core::OptionError);
  EXPECT_EQ(parse_canvas("96x64"), (std::pair<std::int64_t, std::int64_t>{64, 96}));
}

TEST(Scene, CaptionWordsAreOneTokenPerClass) {
  EXPECT_EQ(caption_words(items()),
            (std::vector<std::string>{"t-shirt/top", "trouser", "ankle-boot", "bag", "coat"}));
}

}  // namespace
}  // namespace nnlab::data
