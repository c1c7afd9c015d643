// nnlab eval: a checkpoint's accuracy on a data set's test split, per class and in all, with
// --limit; a missing model is one line naming it.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "cli/cli_test_util.h"

namespace nnlab::testing {

TEST(EvalCommand, AccuracyIsTheCountWeightedMeanOfThePerClassAccuracies) {
  const auto dir = trained_lenet300("eval_cli", 1);
  const std::string base = "eval --model " + dir + "/d.ckpt --data idx:" + dir + "/data --json -q";
  const auto r = run_nnlab(base);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["arch"], "lenet300");
  EXPECT_EQ(j["count"], 100);  // the whole test split
  double correct = 0;
  std::int64_t count = 0;
  for (const auto& c : j["per_class"]) {
    correct += c["accuracy"].get<double>() * c["count"].get<double>();
    count += c["count"].get<std::int64_t>();
  }
  EXPECT_EQ(count, 100);
  EXPECT_NEAR(j["accuracy"].get<double>(), correct / 100, 1e-9);
  EXPECT_GT(j["accuracy"].get<double>(), 0.3);  // the synthetic set is learnable in one epoch
  EXPECT_GT(j["loss"].get<double>(), 0);

  const auto limited = run_nnlab(base + " --limit 40");
  ASSERT_EQ(limited.exit_code, 0) << limited.err;
  EXPECT_EQ(nlohmann::json::parse(limited.out)["count"], 40);

  expect_clean_error(run_nnlab("eval --model " + dir + "/none.ckpt --data idx:" + dir + "/data"),
                     dir + "/none.ckpt", "no such file");
}

}  // namespace nnlab::testing
