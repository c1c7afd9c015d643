#include "nnlab/attack/batch_size.h"

#include <gtest/gtest.h>

#include "nnlab/core/error.h"

namespace nnlab::attack {

TEST(DefaultBatchSize, SmallImagesKeepTheBatchOf64) {
  EXPECT_EQ(default_batch_size(1, 28, 28), 64);  // Fashion-MNIST
  EXPECT_EQ(default_batch_size(3, 32, 32), 64);  // CIFAR
}

TEST(DefaultBatchSize, ShrinksWithTheImage) {
  EXPECT_EQ(default_batch_size(3, 224, 224), 16);
  EXPECT_EQ(default_batch_size(3, 160, 160), 31);   // rounded down: never above the budget
  EXPECT_EQ(default_batch_size(1, 224, 224), 48);   // grayscale: a third of the elements
  EXPECT_EQ(default_batch_size(3, 112, 112), 64);   // a quarter of the pixels: 4x, at the cap
  EXPECT_EQ(default_batch_size(3, 1024, 1024), 1);  // never below one image
  for (std::int64_t side = 8; side <= 512; side += 8) {
    const auto batch = default_batch_size(3, side, side);
    EXPECT_GE(batch, 1);
    EXPECT_LE(batch, kMaxDefaultBatchSize);
    if (batch > 1) {
      EXPECT_LE(batch * 3 * side * side, kBatchInputElements) << side;
    }
  }
}

TEST(DefaultBatchSize, RefusesAnEmptyImage) {
  EXPECT_THROW(default_batch_size(0, 224, 224), core::OptionError);
  EXPECT_THROW(default_batch_size(3, 0, 224), core::OptionError);
}

}  // namespace nnlab::attack
