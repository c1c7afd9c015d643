// Files written today open tomorrow: tests/data/golden/ holds one small file of every kind and
// version nnlab writes, and each must still read back to the values it was written with (the
// formulas of golden_models.h) and give the outputs stored beside it (expected.json). A format
// change that breaks old files fails here. A file whose version is newer than this nnlab reads
// is refused with one line naming both versions (docs/FORMAT.md, "Versions").
//
// Regenerate (only for a new kind or version; never overwrite a file an older nnlab wrote --
// add the new version beside it and a test that reads it):
//   build/tests/test_formats --gtest_also_run_disabled_tests
//       --gtest_filter=GoldenFiles.DISABLED_Regenerate
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cstring>
#include <fstream>
#include <functional>
#include <nlohmann/json.hpp>

#include "data/data_test_util.h"
#include "formats/golden_models.h"
#include "nnlab/compress/nnz_model.h"
#include "nnlab/core/atomic_file.h"
#include "nnlab/core/error.h"
#include "nnlab/core/format_version.h"
#include "nnlab/text/batching.h"

namespace nnlab::formats_test {
namespace {

using data::testing_util::contains;
using data::testing_util::error_of;
using data::testing_util::read_bytes;
using data::testing_util::TempDir;
using data::testing_util::write_bytes;

torch::Tensor lm_input() {
  return torch::tensor({{1, 4, 5, 6, 4}}, torch::kInt64);
}
torch::Tensor caption_input() {
  return torch::tensor({{1, 4, 5}}, torch::kInt64);
}
torch::Tensor sequence_source() {
  return torch::tensor({{4, 5, 6, 4}}, torch::kInt64);
}

std::vector<double> values_of(const torch::Tensor& t) {
  const auto flat = t.detach().to(torch::kDouble).contiguous().flatten();
  return {flat.data_ptr<double>(), flat.data_ptr<double>() + flat.numel()};
}

nlohmann::json expected() {
  return nlohmann::json::parse(read_bytes(golden_path("expected.json")));
}

void expect_near(const std::vector<double>& got, const nlohmann::json& want,
                 const std::string& what) {
  const auto w = want.get<std::vector<double>>();
  ASSERT_EQ(got.size(), w.size()) << what;
  ASSERT_FALSE(w.empty()) << what;
  for (std::size_t i = 0; i < w.size(); ++i) EXPECT_NEAR(got[i], w[i], 1e-5) << what << " " << i;
}

void expect_same_state(const models::TensorList& got, const models::TensorList& want,
                       const std::string& what) {
  ASSERT_EQ(got.size(), want.size()) << what;
  for (std::size_t i = 0; i < want.size(); ++i) {
    EXPECT_EQ(got[i].first, want[i].first) << what;
    EXPECT_TRUE(torch::equal(got[i].second, want[i].second)) << what << ": " << want[i].first;
  }
}

torch::Tensor classifier_logits(models::Classifier model) {
  torch::NoGradGuard no_grad;
  model.eval();
  return model(classifier_input());
}

torch::Tensor lm_logits(seq2seq::LanguageModelFile& m) {
  torch::NoGradGuard no_grad;
  return m.model->forward(lm_input()).first;
}

torch::Tensor caption_logits(seq2seq::CaptionModel& m) {
  torch::NoGradGuard no_grad;
  return m.model->forward(caption_images(), caption_input()).logits;
}

// Teacher-forced: the decoder reads <s> AH B K whatever it would have chosen.
torch::Tensor sequence_logits(seq2seq::SequenceModel& m) {
  torch::NoGradGuard no_grad;
  seq2seq::Batch batch;
  batch.source = sequence_source();
  batch.source_lengths = torch::tensor({batch.source.size(1)}, torch::kInt64);
  batch.target_input = torch::tensor({{1, 4, 5, 6}}, torch::kInt64);
  return m.model->forward(batch).logits;
}

void expect_same_nnz(const compress::NnzModel& got, const compress::NnzModel& want) {
  EXPECT_EQ(models::info_to_json(got.info), models::info_to_json(want.info));
  EXPECT_EQ(got.meta, want.meta);
  ASSERT_EQ(got.tensors.size(), want.tensors.size());
  for (std::size_t i = 0; i < want.tensors.size(); ++i) {
    const auto& g = got.tensors[i];
    const auto& w = want.tensors[i];
    EXPECT_EQ(g.name, w.name);
    EXPECT_EQ(g.shape, w.shape) << w.name;
    EXPECT_EQ(g.kind, w.kind) << w.name;
    EXPECT_EQ(g.raw, w.raw) << w.name;
    EXPECT_EQ(g.codebook, w.codebook) << w.name;
    EXPECT_EQ(g.indices, w.indices) << w.name;
    EXPECT_EQ(g.gap_bits, w.gap_bits) << w.name;
    EXPECT_EQ(g.gaps, w.gaps) << w.name;
  }
}

TEST(GoldenFiles, ClassifierCheckpointVersion1) {
  const auto path = golden_path("classifier-v1.ckpt");
  const auto checkpoint = models::read_checkpoint(path);
  const auto want = tiny_checkpoint();
  EXPECT_EQ(checkpoint.meta["version"], 1);
  EXPECT_EQ(checkpoint.meta["epoch"], 7);
  EXPECT_EQ(models::info_to_json(checkpoint.info), models::info_to_json(want.info));
  expect_same_state(checkpoint.state, want.state, path);
  expect_same_state(checkpoint.masks, want.masks, path);
  EXPECT_EQ(checkpoint.blobs, want.blobs);
  const auto logits = classifier_logits(models::classifier_from_checkpoint(checkpoint, path));
  expect_near(values_of(logits), expected()["classifier-v1.ckpt"]["logits"], path);
}

TEST(GoldenFiles, CompressedModelVersions2And3) {
  const auto want = tiny_nnz();
  for (const char* name : {"model-v2.nnz", "model-v3.nnz"}) {
    const auto path = golden_path(name);
    const auto bytes = read_bytes(path);
    std::uint32_t version = 0;
    ASSERT_GE(bytes.size(), 12u) << path;
    std::memcpy(&version, bytes.data() + 8, 4);
    EXPECT_EQ(version, static_cast<std::uint32_t>(name[7] - '0')) << path;
    const auto nnz = compress::read_nnz(path);
    expect_same_nnz(nnz, want);
    const auto model = models::classifier_from_checkpoint(compress::nnz_to_checkpoint(nnz), path);
    expect_near(values_of(classifier_logits(model)), expected()["nnz"]["logits"], path);
  }
}

TEST(GoldenFiles, SequenceModelVersion1) {
  const auto path = golden_path("seq2seq-v1.pt");
  auto m = seq2seq::load_sequence_model(path, "g2p", torch::kCPU);
  auto want = tiny_sequence_model();
  EXPECT_EQ(m.options.to_json(), want.options.to_json());
  EXPECT_EQ(m.source_vocabulary.to_json(), want.source_vocabulary.to_json());
  EXPECT_EQ(m.target_vocabulary.to_json(), want.target_vocabulary.to_json());
  EXPECT_EQ(m.training, want.training);
  expect_same_state(seq2seq::sequence_state(*m.model), seq2seq::sequence_state(*want.model), path);
  expect_near(values_of(sequence_logits(m)), expected()["seq2seq-v1.pt"]["logits"], path);
}

TEST(GoldenFiles, LanguageModelVersion1) {
  const auto path = golden_path("lm-v1.pt");
  auto m = seq2seq::load_language_model(path, torch::kCPU);
  auto want = tiny_language_model();
  EXPECT_EQ(m.options.to_json(), want.options.to_json());
  EXPECT_EQ(m.vocabulary.to_json(), want.vocabulary.to_json());
  EXPECT_EQ(m.training, want.training);
  expect_same_state(seq2seq::sequence_state(*m.model), seq2seq::sequence_state(*want.model), path);
  expect_near(values_of(lm_logits(m)), expected()["lm-v1.pt"]["logits"], path);
}

TEST(GoldenFiles, CaptionModelVersion1) {
  const auto path = golden_path("caption-v1.pt");
  auto m = seq2seq::load_caption_model(path, torch::kCPU);
  auto want = tiny_caption_model();
  EXPECT_EQ(m.options.to_json(), want.options.to_json());
  EXPECT_EQ(m.class_words, want.class_words);
  EXPECT_EQ(m.training, want.training);
  expect_same_state(seq2seq::sequence_state(*m.model), seq2seq::sequence_state(*want.model), path);
  expect_near(values_of(caption_logits(m)), expected()["caption-v1.pt"]["logits"], path);
}

// Each archive kind with its version raised past this nnlab's: one line naming both versions.
TEST(GoldenFiles, AnArchiveNewerThanTheReaderIsRefusedNamingBothVersions) {
  TempDir dir;
  struct Case {
    std::string file, format;
    int version;
    std::function<void(const std::string&)> load;
  };
  const std::vector<Case> cases = {
      {"classifier-v1.ckpt", models::kCheckpointFormat, models::kCheckpointVersion,
       [](const std::string& p) { models::read_checkpoint(p); }},
      {"seq2seq-v1.pt", seq2seq::kSeq2SeqFormat, seq2seq::kSeq2SeqVersion,
       [](const std::string& p) { seq2seq::load_sequence_model(p, "g2p", torch::kCPU); }},
      {"lm-v1.pt", seq2seq::kLanguageModelFormat, seq2seq::kLanguageModelVersion,
       [](const std::string& p) { seq2seq::load_language_model(p, torch::kCPU); }},
      {"caption-v1.pt", seq2seq::kCaptionFormat, seq2seq::kCaptionVersion,
       [](const std::string& p) { seq2seq::load_caption_model(p, torch::kCPU); }},
  };
  for (const auto& c : cases) {
    auto archive = models::read_archive(golden_path(c.file));
    archive.meta["version"] = c.version + 1;
    const auto path = dir / ("newer-" + c.file);
    models::save_archive(path, archive);
    const auto error = error_of<core::FileError>([&] { c.load(path); });
    EXPECT_EQ(error, path + ": " + c.format + " version " + std::to_string(c.version + 1) +
                         " is newer than this nnlab reads (" + std::to_string(c.version) +
                         "); upgrade nnlab");
  }
}

TEST(GoldenFiles, AnNnzNewerOrOlderThanTheReaderIsRefusedNamingBothVersions) {
  TempDir dir;
  auto bytes = read_bytes(golden_path("model-v3.nnz"));
  for (const std::uint32_t version : {compress::kNnzVersion + 1, compress::kNnzOldestVersion - 1}) {
    std::memcpy(bytes.data() + 8, &version, 4);
    const auto path = dir / ("v" + std::to_string(version) + ".nnz");
    write_bytes(path, bytes);
    const auto error = error_of<core::FileError>([&] { compress::read_nnz(path); });
    const auto newer = version > compress::kNnzVersion;
    EXPECT_EQ(error, path + ": nnlab .nnz version " + std::to_string(version) + " is " +
                         (newer ? "newer" : "older") + " than this nnlab reads (2 to 3)" +
                         (newer ? "; upgrade nnlab" : ""));
  }
}

TEST(GoldenFiles, JsonOutputsCarryTheirVersionAndANewerOneIsRefused) {
  const auto stamped = core::with_format_version({{"accuracy", 0.5}});
  EXPECT_EQ(stamped, (nlohmann::json{{"accuracy", 0.5}, {"format_version", 1}}));
  EXPECT_NO_THROW(core::check_json_format_version(stamped, "nnlab attack metrics", "m.json"));
  // Written before JSON outputs carried a version: read as it is.
  EXPECT_NO_THROW(core::check_json_format_version({{"accuracy", 0.5}}, "x", "m.json"));
  const auto error = error_of<core::FileError>([] {
    core::check_json_format_version({{"format_version", 2}}, "nnlab attack metrics", "m.json");
  });
  EXPECT_EQ(error,
            "m.json: nnlab attack metrics version 2 is newer than this nnlab reads (1); "
            "upgrade nnlab");
  EXPECT_TRUE(contains(error_of<core::FileError>([] {
                         core::check_json_format_version({{"format_version", "1"}}, "x", "m.json");
                       }),
                       "not an integer"));
}

// Writes tests/data/golden/ (see the header comment for when).
TEST(GoldenFiles, DISABLED_Regenerate) {
  nlohmann::json e;
  const auto checkpoint = tiny_checkpoint();
  models::save_checkpoint(golden_path("classifier-v1.ckpt"), checkpoint);
  e["classifier-v1.ckpt"]["logits"] = values_of(
      classifier_logits(models::classifier_from_checkpoint(checkpoint, "classifier-v1.ckpt")));

  const auto nnz = tiny_nnz();
  for (const std::uint32_t version : {2u, 3u}) {
    write_bytes(golden_path("model-v" + std::to_string(version) + ".nnz"),
                compress::encode_nnz(nnz, version));
  }
  e["nnz"]["logits"] = values_of(classifier_logits(
      models::classifier_from_checkpoint(compress::nnz_to_checkpoint(nnz), "model.nnz")));

  auto sequence = tiny_sequence_model();
  seq2seq::save_sequence_model(golden_path("seq2seq-v1.pt"), sequence);
  e["seq2seq-v1.pt"]["logits"] = values_of(sequence_logits(sequence));

  auto lm = tiny_language_model();
  seq2seq::save_language_model(golden_path("lm-v1.pt"), lm);
  e["lm-v1.pt"]["logits"] = values_of(lm_logits(lm));

  auto caption = tiny_caption_model();
  seq2seq::save_caption_model(golden_path("caption-v1.pt"), caption);
  e["caption-v1.pt"]["logits"] = values_of(caption_logits(caption));

  core::write_text_atomically(golden_path("expected.json"), e.dump(2) + "\n");
}

}  // namespace
}  // namespace nnlab::formats_test
