#include "nnlab/seq2seq/caption_scenes.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

namespace nnlab::seq2seq {
namespace {

data::Dataset items(int n) {
  torch::manual_seed(1);
  data::Dataset d;
  d.images = torch::rand({n, 1, 28, 28});
  d.labels = torch::arange(n, torch::kInt64) % 3;
  d.class_names = {"a", "b", "c"};
  return d;
}

data::SceneOptions options(std::uint64_t seed) {
  data::SceneOptions o;
  o.width = 64;
  o.height = 32;
  o.min_items = 1;
  o.max_items = 2;
  o.seed = seed;
  return o;
}

bool same(const data::SceneSet& a, const data::SceneSet& b) {
  return torch::equal(a.images, b.images) && a.labels == b.labels;
}

TEST(CaptionScenes, EachSetHasItsOwnSeedFromTheOne) {
  const auto train = items(12), test = items(9);
  CaptionModel model;
  model.scenes = options(40);
  const auto t = test_scenes(model, test, 5);
  EXPECT_EQ(t.images.size(0), 5);
  EXPECT_TRUE(same(t, data::compose_scenes(test, 5, options(40 + kTestSceneSeedOffset))));
  const auto d = dev_scenes(train, 4, options(40));
  EXPECT_TRUE(same(d, data::compose_scenes(train, 4, options(40 + kDevSceneSeedOffset))));
  // The first scenes of a longer test set are the shorter set's: `caption describe --scene 2`
  // shows a scene that `caption eval` scored.
  const auto longer = test_scenes(model, test, 8);
  EXPECT_TRUE(torch::equal(longer.images.slice(0, 0, 5), t.images));
}

TEST(CaptionScenes, TrainingScenesAreFixedOrFreshEveryEpoch) {
  const auto train = items(12);
  const auto fixed = training_scenes(train, 6, options(40), /*fresh=*/false);
  EXPECT_TRUE(same(fixed(1), data::compose_scenes(train, 6, options(40))));
  EXPECT_TRUE(same(fixed(1), fixed(3)));
  const auto fresh = training_scenes(train, 6, options(40), /*fresh=*/true);
  EXPECT_TRUE(same(fresh(2), data::compose_scenes(train, 6, options(40 + 3 + 2))));
  EXPECT_FALSE(same(fresh(1), fresh(2)));
  EXPECT_TRUE(same(fresh(2), fresh(2)));
}

}  // namespace
}  // namespace nnlab::seq2seq
