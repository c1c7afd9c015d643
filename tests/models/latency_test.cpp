#include "nnlab/models/latency.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include "nnlab/models/registry.h"

namespace nnlab::models {

TEST(Latency, MeasuresForwardPassesAndKeepsTheMode) {
  auto model = create_model("lenet5");
  model.train();
  LatencyOptions options;
  options.batch_size = 8;
  options.runs = 5;
  const auto latency = measure_latency(model, options);
  EXPECT_TRUE(model.is_training());
  EXPECT_EQ(latency.batch_size, 8);
  EXPECT_GT(latency.median_ms, 0);
  EXPECT_LE(latency.min_ms, latency.median_ms);
  EXPECT_NEAR(latency.images_per_second, 8000.0 / latency.median_ms, 1e-6);
  options.runs = 0;
  EXPECT_THROW(measure_latency(model, options), c10::Error);
}

}  // namespace nnlab::models
