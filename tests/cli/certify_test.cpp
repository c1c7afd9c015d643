// nnlab certify end to end on a tiny model: a CSV row per image, the summary's certified
// accuracies, and each bad input a one-line error.
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "cli/cli_test_util.h"
#include "nnlab/data/csv.h"

namespace nnlab::testing {

namespace {

const std::string& model_dir() {
  static const std::string dir = trained_lenet300("certify_cli", 1);
  return dir;
}

std::string certify(const std::string& flags) {
  const auto& dir = model_dir();
  return "certify --model " + dir + "/d.ckpt --data idx:" + dir + "/data " + flags;
}

}  // namespace

TEST(CertifyCommand, WritesOneCsvRowPerImageAndTheSummary) {
  const auto csv = model_dir() + "/certify.csv";
  const auto r =
      run_nnlab(certify("--sigma 0.1 --n0 10 --n 60 --limit 6 --batch-size 25 "
                        "--radii 0,0.1,5 --output " +
                        csv + " --json -q"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["count"], 6);
  EXPECT_EQ(j["n"], 60);
  ASSERT_EQ(j["images"].size(), 6u);
  ASSERT_EQ(j["certified_accuracy"].size(), 3u);
  std::int64_t correct = 0, abstained = 0;
  for (const auto& image : j["images"]) {
    const auto predicted = image["predicted"].get<std::int64_t>();
    EXPECT_GE(predicted, -1);
    EXPECT_LT(predicted, 10);
    EXPECT_EQ(image["correct"].get<bool>(), predicted == image["label"].get<std::int64_t>());
    // 60 draws at alpha 0.001 bound pA below 0.001^(1/60) = 0.891: radius < 0.1 * Phi^-1(0.891).
    EXPECT_LT(image["radius"].get<double>(), 0.1 * 1.24);
    if (predicted == -1) {
      EXPECT_EQ(image["radius"].get<double>(), 0.0);
      ++abstained;
    }
    if (image["correct"].get<bool>()) ++correct;
  }
  EXPECT_DOUBLE_EQ(j["abstention_rate"].get<double>(), abstained / 6.0);
  EXPECT_DOUBLE_EQ(j["certified_accuracy"][0]["accuracy"].get<double>(), correct / 6.0);
  EXPECT_EQ(j["certified_accuracy"][2]["accuracy"].get<double>(), 0.0);  // beyond any radius
  const auto table = data::CsvTable::read(csv);
  EXPECT_EQ(table.rows().size(), 6u);
  ASSERT_TRUE(table.column("radius"));
  for (size_t i = 0; i < 6; ++i) {
    EXPECT_EQ(table.rows()[i][*table.column("predicted")],
              std::to_string(j["images"][i]["predicted"].get<std::int64_t>()));
  }
  // The same seed certifies the same way; --limit changes nothing for the images kept.
  const auto again = run_nnlab(certify("--sigma 0.1 --n0 10 --n 60 --limit 3 --json -q"));
  ASSERT_EQ(again.exit_code, 0) << again.err;
  const auto k = nlohmann::json::parse(again.out);
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(k["images"][i]["count"], j["images"][i]["count"]);
    EXPECT_EQ(k["images"][i]["predicted"], j["images"][i]["predicted"]);
  }
}

TEST(CertifyCommand, RefusesBadOptions) {
  expect_clean_error(run_nnlab(certify("--sigma 0 -q")), "--sigma");
  expect_clean_error(run_nnlab(certify("--sigma -0.25 -q")), "--sigma");
  expect_clean_error(run_nnlab(certify("--sigma 0.25 --n0 0 -q")), "--n0");
  expect_clean_error(run_nnlab(certify("--sigma 0.25 --n 0 -q")), "--n");
  expect_clean_error(run_nnlab(certify("--sigma 0.25 --alpha 0 -q")), "--alpha");
  expect_clean_error(run_nnlab(certify("--sigma 0.25 --alpha 1 -q")), "--alpha");
  expect_clean_error(run_nnlab(certify("--sigma 0.25 --alpha 1.5 -q")), "--alpha");
  expect_clean_error(run_nnlab(certify("--sigma 0.25 --radii 0,-1 -q")), "--radii");
  const auto missing_sigma = run_nnlab(certify("-q"));
  EXPECT_NE(missing_sigma.exit_code, 0);
  EXPECT_NE(missing_sigma.err.find("--sigma"), std::string::npos) << missing_sigma.err;
}

TEST(CertifyCommand, RefusesAFileThatIsNotAClassifier) {
  const auto dir = scratch_dir("certify_not_a_classifier");
  const auto text = dir + "/notes.pt";
  std::ofstream(text) << "not a model, just words\n";
  expect_clean_error(
      run_nnlab("certify --model " + text + " --data idx:" + model_dir() + "/data --sigma 0.25 -q"),
      text);
  // A sequence-to-sequence model file is a model, but not a classifier.
  std::ofstream(dir + "/pairs.tsv") << "ab\tb a\nba\ta b\naa\ta a\nbb\tb b\nab\tb a\n";
  const auto s2s = dir + "/s2s.pt";
  const auto train = run_nnlab("seq2seq train --train " + dir +
                               "/pairs.tsv --source-tokens chars --target-tokens words "
                               "--dev-fraction 0.4 --decoder-hidden 8 --embedding 4 --hidden 8 "
                               "--epochs 1 -q -o " +
                               s2s);
  ASSERT_EQ(train.exit_code, 0) << train.err;
  expect_clean_error(
      run_nnlab("certify --model " + s2s + " --data idx:" + model_dir() + "/data --sigma 0.25 -q"),
      s2s);
}

}  // namespace nnlab::testing
