#include "nnlab/models/state_dict.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include "nnlab/core/error.h"
#include "nnlab/models/registry.h"

namespace nnlab::models {

TEST(StateDict, RoundTripsBetweenModels) {
  torch::manual_seed(1);
  auto a = create_model("cnn");
  torch::manual_seed(2);
  auto b = create_model("cnn");
  load_state_dict(b, state_dict(a), "a");
  const auto sa = state_dict(a), sb = state_dict(b);
  for (size_t i = 0; i < sa.size(); ++i)
    EXPECT_TRUE(torch::equal(sa[i].second, sb[i].second)) << sa[i].first;
}

TEST(StateDict, OldFilesWithoutNumBatchesTrackedLoad) {
  auto a = create_model("resnet18");
  TensorList old;
  for (const auto& [name, t] : state_dict(a)) {
    if (name.find("num_batches_tracked") == std::string::npos) old.emplace_back(name, t);
  }
  auto b = create_model("resnet18");
  EXPECT_NO_THROW(load_state_dict(b, old, "resnet18-5c106cde.pth"));
}

TEST(StateDict, StripsDataParallelPrefix) {
  auto a = create_model("lenet300");
  TensorList wrapped;
  for (const auto& [name, t] : state_dict(a)) wrapped.emplace_back("module." + name, t * 2);
  auto b = create_model("lenet300");
  load_state_dict(b, wrapped, "ddp.pth");
  EXPECT_TRUE(torch::equal(state_dict(b)[0].second, state_dict(a)[0].second * 2));
}

TEST(StateDict, MismatchListsMissingUnexpectedAndMisshapedKeys) {
  auto model = create_model("lenet5");
  TensorList bad = state_dict(model);
  bad.erase(bad.begin());                               // missing conv1.weight
  bad.emplace_back("extra.weight", torch::zeros({1}));  // unexpected
  bad[1].second = torch::zeros({3, 3});                 // mis-shaped
  try {
    load_state_dict(model, bad, "x.pth");
    FAIL();
  } catch (const core::FileError& e) {
    const std::string message = e.what();
    EXPECT_NE(message.find("x.pth"), std::string::npos);
    EXPECT_NE(message.find("missing keys: conv1.weight"), std::string::npos) << message;
    EXPECT_NE(message.find("unexpected keys: extra.weight"), std::string::npos) << message;
    EXPECT_NE(message.find("mis-shaped keys: conv2.weight"), std::string::npos) << message;
  }
}

}  // namespace nnlab::models
