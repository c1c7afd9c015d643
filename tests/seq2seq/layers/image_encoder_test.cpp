#include "nnlab/seq2seq/layers/image_encoder.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <sstream>

namespace nnlab::seq2seq {
namespace {

TEST(ImageEncoder, AGridOfRegionsEachWithItsPosition) {
  torch::manual_seed(3);
  ImageEncoder encoder(/*channels=*/2, /*height=*/32, /*width=*/48, /*features=*/16);
  EXPECT_EQ(encoder->grid_height(), 4);
  EXPECT_EQ(encoder->grid_width(), 6);
  encoder->eval();
  const auto images = torch::rand({3, 2, 32, 48});
  const auto out = encoder->forward(images);
  EXPECT_EQ(out.memory.sizes(), (std::vector<std::int64_t>{3, 24, 16}));
  // Every region is real: the mask is all true, and the final vector is the regions' mean.
  EXPECT_EQ(out.mask.sizes(), (std::vector<std::int64_t>{3, 24}));
  EXPECT_EQ(out.mask.scalar_type(), torch::kBool);
  EXPECT_TRUE(out.mask.all().item<bool>());
  EXPECT_TRUE(torch::allclose(out.final, out.memory.mean(1)));
  // A black image still tells regions apart: the learned position embeddings differ.
  const auto black = encoder->forward(torch::zeros({1, 2, 32, 48})).memory[0];
  EXPECT_FALSE(torch::allclose(black[0], black[1]));
  // Row-major over the grid: an image bright only in its bottom-right region changes the last
  // region's vector more than the first's.
  auto corner = torch::zeros({1, 2, 32, 48});
  corner.slice(2, 24, 32).slice(3, 40, 48).fill_(1);
  const auto moved = (encoder->forward(corner).memory[0] - black).abs().sum(1);
  EXPECT_GT(moved[23].item<float>(), moved[0].item<float>());
}

TEST(ImageEncoder, TheSameSeedBuildsTheSameEncoder) {
  const auto build = [](std::uint64_t seed) {
    torch::manual_seed(seed);
    ImageEncoder encoder(1, 16, 16, 8);
    encoder->eval();
    return encoder;
  };
  auto a = build(9), b = build(9), c = build(10);
  const auto images = torch::rand({2, 1, 16, 16});
  const auto ya = a->forward(images).memory;
  EXPECT_TRUE(torch::equal(ya, b->forward(images).memory));
  EXPECT_FALSE(torch::equal(ya, c->forward(images).memory));
}

TEST(ImageEncoder, StateRoundTripsThroughSerialization) {
  torch::manual_seed(1);
  ImageEncoder source(1, 16, 24, 8);
  // Train mode once, so BatchNorm's running statistics leave their initial values.
  source->forward(torch::rand({4, 1, 16, 24}));
  source->eval();
  std::stringstream buffer;
  torch::save(source, buffer);
  torch::manual_seed(2);
  ImageEncoder target(1, 16, 24, 8);
  torch::load(target, buffer);
  target->eval();
  const auto images = torch::rand({2, 1, 16, 24});
  EXPECT_TRUE(torch::equal(source->forward(images).memory, target->forward(images).memory));
}

TEST(ImageEncoder, RefusesImagesSmallerThanOneRegion) {
  EXPECT_THROW(ImageEncoder(1, 7, 64, 8), c10::Error);
  EXPECT_THROW(ImageEncoder(1, 64, 4, 8), c10::Error);
}

}  // namespace
}  // namespace nnlab::seq2seq
