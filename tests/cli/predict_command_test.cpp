// nnlab predict: the top-k classes of each image in a folder, with probabilities in order.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "cli/cli_test_util.h"

namespace nnlab::testing {

TEST(PredictCommand, TopKProbabilitiesComeInOrderForEveryImage) {
  const auto dir = trained_lenet300("predict_cli", 1);
  ASSERT_EQ(
      run_nnlab("export-images --data idx:" + dir + "/data --count 4 -o " + dir + "/images -q")
          .exit_code,
      0);
  const auto r = run_nnlab("predict --model " + dir + "/d.ckpt " + dir + "/images -k 3 --json -q");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["arch"], "lenet300");
  ASSERT_EQ(j["predictions"].size(), 4u);
  for (const auto& p : j["predictions"]) {
    ASSERT_EQ(p["top"].size(), 3u) << p;
    double sum = 0, last = 1;
    for (const auto& t : p["top"]) {
      const auto probability = t["probability"].get<double>();
      EXPECT_LE(probability, last) << p;
      EXPECT_GE(t["class"].get<int>(), 0);
      EXPECT_LT(t["class"].get<int>(), 10);
      last = probability;
      sum += probability;
    }
    EXPECT_LE(sum, 1 + 1e-6) << p;
  }
  expect_clean_error(run_nnlab("predict --model " + dir + "/d.ckpt " + dir + "/images -k 0"),
                     "--top-k");
}

}  // namespace nnlab::testing
