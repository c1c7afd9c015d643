// Helpers of the compression pipeline tests: a tiny learnable 10-class set of 28x28 images (class
// c lights a 6x6 block at its own place, plus noise), a zoo model, and the fine-tuning that goes
// with them (no progress bar, small batches).
#pragma once

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <functional>
#include <string>

#include "nnlab/compress/fine_tuning.h"
#include "nnlab/core/error.h"
#include "nnlab/data/dataset.h"
#include "nnlab/models/registry.h"

namespace nnlab::compress::testing_util {

inline data::Dataset blocks(std::int64_t count, int seed) {
  torch::manual_seed(seed);
  data::Dataset set;
  set.labels = torch::arange(count) % 10;
  set.images = torch::rand({count, 1, 28, 28}) * 0.2;
  for (std::int64_t i = 0; i < count; ++i) {
    const auto c = set.labels[i].item<std::int64_t>();
    const auto row = 2 + (c / 5) * 12, column = 2 + (c % 5) * 5;
    set.images[i][0].slice(0, row, row + 6).slice(1, column, column + 4).fill_(1.0);
  }
  set.source = "blocks";
  return set;
}

inline FineTuning tiny_tuning(int epochs, std::int64_t train = 200, std::int64_t test = 100) {
  FineTuning tuning;
  tuning.data = {blocks(train, 1), blocks(test, 2)};
  tuning.train.epochs = epochs;
  tuning.train.batch_size = 32;
  tuning.train.lr = 1e-3;
  tuning.train.progress = false;
  tuning.train.seed = 3;
  return tuning;
}

inline models::Classifier tiny_model(const std::string& arch, int seed = 0) {
  torch::manual_seed(seed);
  return models::create_model(arch);
}

// The distinct values of a tensor.
inline std::int64_t distinct_values(const torch::Tensor& t) {
  return std::get<0>(torch::_unique(t.detach().flatten())).numel();
}

// That `run` throws a core::OptionError naming `field` ("PruneRunOptions.steps").
inline void expect_option_error(const std::function<void()>& run, const std::string& field) {
  try {
    run();
    ADD_FAILURE() << field << " was accepted";
  } catch (const core::OptionError& e) {
    EXPECT_NE(std::string(e.what()).find(field), std::string::npos) << e.what();
  }
}

}  // namespace nnlab::compress::testing_util
