#include "nnlab/seq2seq/layers/encoder.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include "nnlab/text/vocabulary.h"

namespace nnlab::seq2seq {
namespace {

// A batch without padding runs the recurrence unpacked; the same sequences beside a longer one
// run packed. Both ways must give the same memory and final state, for both cells and for one
// and two directions.
TEST(Encoder, UnpaddedBatchEqualsThePackedComputation) {
  for (const std::string cell : {"lstm", "gru"}) {
    for (const bool bidirectional : {true, false}) {
      torch::manual_seed(3);
      ModelOptions o;
      o.cell = cell;
      o.embedding = 6;
      o.encoder_hidden = 5;
      o.encoder_layers = 2;
      o.bidirectional = bidirectional;
      o.dropout = 0;
      Encoder encoder(12, o);
      encoder->eval();
      const auto uniform = torch::randint(4, 12, {3, 4}, torch::kInt64);
      const auto alone = encoder(uniform, torch::full({3}, 4, torch::kInt64));
      // The same three rows, padded to 6 beside a row of length 6: this batch is packed.
      auto mixed = torch::full({4, 6}, Vocabulary::kPad, torch::kInt64);
      mixed.slice(0, 0, 3).slice(1, 0, 4).copy_(uniform);
      mixed[3] = torch::randint(4, 12, {6}, torch::kInt64);
      const auto packed = encoder(mixed, torch::tensor({4, 4, 4, 6}, torch::kInt64));
      const auto label = cell + (bidirectional ? " bidirectional" : " forward");
      EXPECT_TRUE(alone.mask.all().item<bool>()) << label;
      EXPECT_TRUE(
          torch::allclose(alone.memory, packed.memory.slice(0, 0, 3).slice(1, 0, 4), 1e-5, 1e-6))
          << label;
      EXPECT_TRUE(torch::allclose(alone.final, packed.final.slice(0, 0, 3), 1e-5, 1e-6)) << label;
      EXPECT_EQ(packed.memory.slice(0, 0, 3).slice(1, 4).abs().max().item<float>(), 0.0f) << label;
    }
  }
}

}  // namespace
}  // namespace nnlab::seq2seq
