// --precision bf16 through the sequence commands: g2p train runs in bf16, says so in its JSON and
// in the model file (whose weights stay float32), and the same weights evaluate in bf16 and fp32
// to nearly the same WER on the toy language (cli/toy_language.h).
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <nlohmann/json.hpp>
#include <set>

#include "cli/cli_test_util.h"
#include "cli/toy_language.h"
#include "nnlab/models/archive.h"

namespace nnlab::testing {
namespace {

double eval_wer(const std::string& precision, const std::string& model, const std::string& ref) {
  const auto r = run_nnlab("--precision " + precision + " g2p eval -m " + model + " --test " + ref +
                           " --beam 3 --json -q");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["provenance"]["precision"], precision);
  return j["wer"].get<double>();
}

TEST(SequencePrecision, G2pTrainsInBf16RecordsItAndEvaluatesInBothPrecisions) {
  const auto dir = scratch_dir("g2p_precision");
  std::string dict;
  for (const auto& w : words(300, 1)) dict += w + " " + pronounce(w) + "\n";
  write(dir + "/train.dict", dict);
  std::string refs;
  const auto test = words(40, 2);
  for (const auto& w : std::set<std::string>(test.begin(), test.end()))
    refs += w + "\t" + pronounce(w) + "\n";
  write(dir + "/test.ref", refs);

  const auto model = dir + "/bf16.pt";
  const auto train = run_nnlab("--precision bf16 g2p train --train " + dir +
                               "/train.dict --epochs 25 -o " + model + kSmallModel + " -q --json");
  ASSERT_EQ(train.exit_code, 0) << train.err;
  EXPECT_EQ(nlohmann::json::parse(train.out)["provenance"]["precision"], "bf16");
  const auto archive = models::read_archive(model);
  EXPECT_EQ(archive.meta.value("precision", ""), "bf16");
  for (const auto& [name, tensor] : archive.state) {
    if (tensor.is_floating_point()) {
      EXPECT_EQ(tensor.scalar_type(), torch::kFloat) << name;
    }
  }

  // The letter-by-letter language is easy in either precision, and the two agree within 5
  // points (2 of the ~40 test words).
  const double bf16 = eval_wer("bf16", model, dir + "/test.ref");
  const double fp32 = eval_wer("fp32", model, dir + "/test.ref");
  EXPECT_LT(bf16, 15.0);
  EXPECT_LT(fp32, 15.0);
  EXPECT_NEAR(bf16, fp32, 5.0);

  const auto pronounce_bf16 =
      run_nnlab("--precision bf16 g2p pronounce -m " + model + " bead --json -q");
  ASSERT_EQ(pronounce_bf16.exit_code, 0) << pronounce_bf16.err;
  EXPECT_EQ(nlohmann::json::parse(pronounce_bf16.out)["provenance"]["precision"], "bf16");
}

}  // namespace
}  // namespace nnlab::testing
