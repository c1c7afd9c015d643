// A model file holding NaN or infinite weights is refused when read, with one line naming the
// file and the first bad tensor: nnlab checkpoints and .pth state_dicts alike.
#include "nnlab/models/finite_weights.h"

#include <gtest/gtest.h>
#include <torch/script.h>
#include <torch/torch.h>

#include <limits>

#include "data/data_test_util.h"
#include "nnlab/core/error.h"
#include "nnlab/models/checkpoint.h"
#include "nnlab/models/model_loader.h"
#include "nnlab/models/pth_writer.h"
#include "nnlab/models/registry.h"
#include "nnlab/models/state_dict.h"

namespace nnlab::models {
namespace {

using data::testing_util::contains;
using data::testing_util::error_of;
using data::testing_util::TempDir;

constexpr float kNan = std::numeric_limits<float>::quiet_NaN();
constexpr float kInf = std::numeric_limits<float>::infinity();

// lenet300's checkpoint with one value of fc2.weight replaced.
Checkpoint poisoned_checkpoint(float value) {
  torch::manual_seed(0);
  auto checkpoint = make_checkpoint(create_model("lenet300"));
  for (auto& [name, tensor] : checkpoint.state) {
    if (name == "fc2.weight") tensor.view(-1)[7] = value;
  }
  return checkpoint;
}

TEST(FiniteWeights, FiniteAndNonFloatingTensorsPass) {
  const TensorList tensors = {{"w", torch::randn({3, 4})},
                              {"count", torch::tensor({std::int64_t{5}})},
                              {"empty", torch::empty({0})},
                              {"big", torch::full({2}, std::numeric_limits<float>::max())}};
  EXPECT_NO_THROW(check_finite_weights(tensors, "m.pt"));
}

TEST(FiniteWeights, NamesTheFileTheFirstBadTensorAndWhatIsWrong) {
  auto bad = torch::zeros({4});
  bad[1] = kNan;
  bad[2] = kInf;
  bad[3] = -kInf;
  auto worse = torch::full({2}, kNan);
  const TensorList tensors = {{"ok", torch::ones({2})}, {"fc.bias", bad}, {"fc.weight", worse}};
  const auto e = error_of<core::FileError>([&] { check_finite_weights(tensors, "m.pt"); });
  EXPECT_TRUE(contains(e, "m.pt: tensor 'fc.bias' holds 1 NaN and 2 infinite value(s)")) << e;
}

TEST(FiniteWeights, ACheckpointWithANanWeightIsRefused) {
  TempDir dir;
  const auto path = dir / "nan.ckpt";
  save_checkpoint(path, poisoned_checkpoint(kNan));
  const auto e = error_of<core::FileError>([&] { read_checkpoint(path); });
  EXPECT_TRUE(contains(e, path + ": tensor 'model.fc2.weight' holds 1 NaN value(s)")) << e;
  EXPECT_EQ(e.find('\n'), std::string::npos);
  // The same file through the loader every command uses.
  EXPECT_TRUE(contains(error_of<core::FileError>([&] {
                         load_model({path, /*arch=*/""});
                       }),
                       "fc2.weight"));
  // And a healthy one still reads.
  save_checkpoint(path, poisoned_checkpoint(0.5f));
  EXPECT_NO_THROW(read_checkpoint(path));
}

TEST(FiniteWeights, APthStateDictWithAnInfiniteWeightIsRefused) {
  TempDir dir;
  const auto path = dir / "inf.pth";
  auto state = poisoned_checkpoint(kInf).state;
  write_legacy_pth(path, state);
  const auto e = error_of<core::FileError>([&] { load_model({path, "lenet300"}); });
  EXPECT_TRUE(contains(e, path + ": tensor 'fc2.weight' holds 1 infinite value(s)")) << e;
}

TEST(FiniteWeights, ATorchScriptModuleWithANanParameterIsRefused) {
  TempDir dir;
  const auto path = dir / "nan_script.pt";
  torch::jit::Module module("Scale");
  auto w = torch::ones({1, 10});
  w[0][3] = kNan;
  module.register_parameter("scale", w, /*is_buffer=*/false);
  module.define("def forward(self, x):\n  return x.flatten(1)[:, :10] * self.scale\n");
  module.save(path);
  const auto e = error_of<core::FileError>([&] { load_model({path, /*arch=*/""}); });
  EXPECT_TRUE(contains(e, path + ": tensor 'scale' holds 1 NaN value(s)")) << e;
}

}  // namespace
}  // namespace nnlab::models
