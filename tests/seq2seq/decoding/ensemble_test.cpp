#include "nnlab/seq2seq/decoding/ensemble.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <memory>

#include "data/data_test_util.h"
#include "nnlab/core/error.h"
#include "nnlab/seq2seq/decoding/search.h"
#include "seq2seq/table_decoder.h"
#include "seq2seq/tiny_model.h"

namespace nnlab::seq2seq {
namespace {

using data::testing_util::contains;
using data::testing_util::error_of;
using data::testing_util::TempDir;
using test_util::garden_path;
using test_util::garden_path_table;
using test_util::kA;
using test_util::kB;
using test_util::TableDecoder;
using test_util::tiny_model;

// A second table that disagrees with the garden path: from <s> it prefers b, after b it goes on.
torch::Tensor other_table() {
  auto p = torch::full({6, 6}, 1e-9);
  p[Vocabulary::kBegin][kA] = 0.2;
  p[Vocabulary::kBegin][kB] = 0.8;
  p[kA][Vocabulary::kEnd] = 0.7;
  p[kA][kB] = 0.3;
  p[kB][Vocabulary::kEnd] = 0.3;
  p[kB][kA] = 0.5;
  p[kB][kB] = 0.2;
  p[Vocabulary::kEnd][Vocabulary::kEnd] = 1.0;
  return p / p.sum(1, true);
}

TEST(Ensemble, SearchesTheAverageOfTheModelsDistributions) {
  // Two tables decoded as an ensemble are one table, their average: every search over the
  // ensemble (beams that reorder and shrink included) must find what it finds over that table.
  Ensemble ensemble({std::make_shared<TableDecoder>(garden_path_table()),
                     std::make_shared<TableDecoder>(other_table())});
  TableDecoder average((garden_path_table() + other_table()) / 2);
  const auto source = torch::full({3, 2}, kA, torch::kInt64);
  const auto lengths = torch::full({3}, 2, torch::kInt64);
  for (const std::int64_t beam : {1, 2, 4}) {
    SearchOptions o;
    o.beam = beam;
    o.n_best = beam;
    o.attention = true;
    o.max_length_a = 2;
    o.max_length_b = 1;
    const auto a = search(ensemble, source, lengths, o);
    const auto b = search(average, source, lengths, o);
    ASSERT_EQ(a.size(), b.size());
    for (std::size_t i = 0; i < a.size(); ++i) {
      ASSERT_EQ(a[i].size(), b[i].size()) << "beam " << beam;
      for (std::size_t k = 0; k < a[i].size(); ++k) {
        EXPECT_EQ(a[i][k].tokens, b[i][k].tokens) << "beam " << beam << ", hypothesis " << k;
        EXPECT_NEAR(a[i][k].log_prob, b[i][k].log_prob, 1e-5);
        EXPECT_EQ(a[i][k].attention, b[i][k].attention);
      }
    }
  }
  // The average is not either table: greedy over it starts with b (0.6), unlike the garden path.
  SearchOptions greedy;
  auto garden = garden_path();
  EXPECT_EQ(search(garden, source, lengths, greedy)[0][0].tokens.front(), kA);
  EXPECT_EQ(search(ensemble, source, lengths, greedy)[0][0].tokens.front(), kB);
}

TEST(Ensemble, AStepAveragesTheProbabilitiesAndTheAttention) {
  auto first = tiny_model("g2p", 1), second = tiny_model("g2p", 2);
  Ensemble ensemble({first.model.ptr(), second.model.ptr()});
  const auto source = torch::tensor({{4, 5, 6, 4}, {6, 4, 0, 0}}, torch::kInt64);
  const auto lengths = torch::tensor({4, 2}, torch::kInt64);
  const auto tokens = torch::full({2}, Vocabulary::kBegin, torch::kInt64);
  torch::NoGradGuard no_grad;
  auto state = ensemble.start(source, lengths);
  ASSERT_EQ(state.members.size(), 2U);
  const auto out = ensemble.step(tokens, state);
  const auto a = first.model->step(tokens, first.model->start(source, lengths));
  const auto b = second.model->step(tokens, second.model->start(source, lengths));
  const auto expected = ((torch::softmax(a.logits, 1) + torch::softmax(b.logits, 1)) / 2).log();
  EXPECT_TRUE(torch::allclose(out.logits, expected, 1e-5, 1e-6));
  EXPECT_TRUE(torch::allclose(out.logits.exp().sum(1), torch::ones({2}), 1e-5, 1e-6));
  EXPECT_TRUE(torch::allclose(out.attention, (a.attention + b.attention) / 2));
  EXPECT_EQ(out.attention[1].slice(0, 2).abs().sum().item<float>(), 0.0F);  // padding
  // The next step goes on from each member's own state.
  const auto next = ensemble.step(out.logits.argmax(1), out.state);
  const auto a2 = first.model->step(out.logits.argmax(1), a.state);
  EXPECT_FALSE(torch::allclose(next.logits, torch::log_softmax(a2.logits, 1)));
  EXPECT_TRUE(torch::allclose(next.state.members[0].at("hidden"), a2.state.at("hidden")));
}

TEST(Ensemble, ModelFilesLoadTogetherOnlyWithTheSameVocabularies) {
  TempDir dir;
  save_sequence_model(dir / "a.pt", tiny_model("g2p", 1));
  save_sequence_model(dir / "b.pt", tiny_model("g2p", 2));
  auto other = tiny_model("g2p", 3);
  const Tokens more_phones = {"AH", "B", "K", "Z"};
  other.target_vocabulary = Vocabulary::build({&more_phones});
  other.create_network();
  save_sequence_model(dir / "other.pt", other);

  const auto one = load_model_ensemble({dir / "a.pt"}, "g2p", torch::kCPU);
  EXPECT_EQ(one.decoder.get(), one.models.front().model.get());  // no ensemble around one model
  const auto two = load_model_ensemble({dir / "a.pt", dir / "b.pt"}, "g2p", torch::kCPU);
  ASSERT_EQ(two.models.size(), 2U);
  const auto* ensemble = dynamic_cast<const Ensemble*>(two.decoder.get());
  ASSERT_NE(ensemble, nullptr);
  EXPECT_EQ(ensemble->size(), 2U);

  const auto error = error_of<core::FileError>([&] {
    load_model_ensemble({dir / "a.pt", dir / "other.pt"}, "g2p", torch::kCPU);
  });
  EXPECT_TRUE(contains(error, "other.pt: its vocabularies differ from")) << error;
  EXPECT_THROW(load_model_ensemble({}, "g2p", torch::kCPU), core::OptionError);
  EXPECT_THROW(load_model_ensemble({dir / "a.pt"}, "seq2seq", torch::kCPU), core::FileError);
}

}  // namespace
}  // namespace nnlab::seq2seq
