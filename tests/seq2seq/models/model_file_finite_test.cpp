// A sequence-model file (seq2seq, language model, captioner: all nnlab archives) holding a NaN
// weight is refused when read, naming the file and the tensor.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <limits>

#include "data/data_test_util.h"
#include "nnlab/core/error.h"
#include "nnlab/models/archive.h"
#include "nnlab/seq2seq/models/model_file.h"
#include "seq2seq/tiny_model.h"

namespace nnlab::seq2seq {
namespace {

using data::testing_util::contains;
using data::testing_util::error_of;
using data::testing_util::TempDir;

TEST(ModelFileFinite, ANanWeightIsRefused) {
  TempDir dir;
  auto archive = to_archive(test_util::tiny_model("g2p"));
  ASSERT_FALSE(archive.state.empty());
  auto& [name, tensor] = archive.state.back();
  tensor = tensor.clone();
  tensor.view(-1)[0] = std::numeric_limits<float>::quiet_NaN();
  const auto path = dir / "nan.pt";
  models::save_archive(path, archive);
  const auto e = error_of<core::FileError>([&] { load_sequence_model(path, "g2p", torch::kCPU); });
  EXPECT_TRUE(contains(e, path + ": tensor 'model." + name + "' holds 1 NaN value(s)")) << e;
}

}  // namespace
}  // namespace nnlab::seq2seq
