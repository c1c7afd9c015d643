#include "nnlab/seq2seq/models/model_file.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include "data/data_test_util.h"
#include "nnlab/core/error.h"
#include "nnlab/models/checkpoint.h"
#include "nnlab/models/registry.h"
#include "nnlab/seq2seq/decoding/search.h"
#include "seq2seq/tiny_model.h"

namespace nnlab::seq2seq {
namespace {

using data::testing_util::contains;
using data::testing_util::error_of;
using data::testing_util::TempDir;

using test_util::tiny_model;

TEST(ModelFile, RoundTripKeepsEverythingAndDecodesTheSame) {
  TempDir dir;
  auto m = tiny_model("g2p");
  m.training = {{"note", "tiny"}};
  const auto path = dir / "g2p.pt";
  save_sequence_model(path, m);
  auto loaded = load_sequence_model(path, "g2p", torch::kCPU);
  EXPECT_EQ(loaded.task, "g2p");
  EXPECT_EQ(loaded.options.to_json(), m.options.to_json());
  EXPECT_EQ(loaded.source_vocabulary.to_json(), m.source_vocabulary.to_json());
  EXPECT_EQ(loaded.target_vocabulary.token(4), "AH");
  EXPECT_EQ(loaded.training["note"], "tiny");
  const auto source = torch::tensor({4, 5, 6, 4}, torch::kInt64).view({1, 4});
  const auto lengths = torch::tensor({4}, torch::kInt64);
  SearchOptions o;
  o.beam = 2;
  const auto a = search(*m.model, source, lengths, o);
  const auto b = search(*loaded.model, source, lengths, o);
  EXPECT_EQ(a[0][0].tokens, b[0][0].tokens);
  EXPECT_NEAR(a[0][0].log_prob, b[0][0].log_prob, 1e-5);
}

TEST(ModelFile, AModelFromAnotherTaskIsRefused) {
  TempDir dir;
  const auto translation = dir / "translation.pt";
  save_sequence_model(translation, tiny_model("seq2seq"));
  const auto e1 =
      error_of<core::FileError>([&] { load_sequence_model(translation, "g2p", torch::kCPU); });
  EXPECT_TRUE(contains(e1, "translation.pt")) << e1;
  EXPECT_TRUE(contains(e1, "a model trained for 'seq2seq', not for 'g2p'")) << e1;

  // A classifier checkpoint is an nnlab file of another format.
  const auto classifier = dir / "lenet.ckpt";
  models::save_checkpoint(classifier,
                          models::make_checkpoint(models::create_model("lenet300", {})));
  const auto e2 =
      error_of<core::FileError>([&] { load_sequence_model(classifier, "g2p", torch::kCPU); });
  EXPECT_TRUE(contains(e2, "lenet.ckpt: not an nnlab seq2seq model")) << e2;
  EXPECT_TRUE(contains(e2, "nnlab-checkpoint")) << e2;

  // And a seq2seq model is not a classifier checkpoint.
  const auto e3 = error_of<core::FileError>([&] { models::read_checkpoint(translation); });
  EXPECT_TRUE(contains(e3, "not an nnlab checkpoint")) << e3;

  // Not a model at all.
  const auto text = dir / "words.txt";
  data::testing_util::write_bytes(text, "HELLO\n");
  EXPECT_THROW(load_sequence_model(text, "g2p", torch::kCPU), core::FileError);
}

TEST(ModelFile, WeightsThatDoNotFitTheShapeAreAClearError) {
  TempDir dir;
  auto m = tiny_model("g2p");
  auto archive = to_archive(m);
  archive.meta["model"]["decoder_hidden"] = 9;
  const auto path = dir / "bad.pt";
  models::save_archive(path, archive);
  const auto e = error_of<core::FileError>([&] { load_sequence_model(path, "g2p", torch::kCPU); });
  EXPECT_TRUE(
      contains(e, "bad.pt: does not fit the seq2seq model's shape: mis-shaped keys: decoder."))
      << e;
}

}  // namespace
}  // namespace nnlab::seq2seq
