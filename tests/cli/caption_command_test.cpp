// nnlab caption end to end on scenes composed from a small synthetic IDX set (the classes light
// blocks at class-specific places), and its bad inputs.
#include <gtest/gtest.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "cli/cli_test_util.h"

namespace nnlab::testing {
namespace {

TEST(CaptionCommand, TrainsEvaluatesAndDescribes) {
  const auto dir = scratch_dir("caption_cli");
  write_synthetic_idx(dir + "/data", 600, 100);
  const auto data = " --data idx:" + dir + "/data";
  const auto model = dir + "/cap.pt";
  const auto t = run_nnlab("caption train" + data +
                           " --scenes 400 --dev-scenes 50 --test-scenes 50 --items 2 --canvas "
                           "64x32 --features 16 --embedding 8 --hidden 32 --epochs 2 "
                           "--attention-lambda 0.5 -q --json -o " +
                           model);
  ASSERT_EQ(t.exit_code, 0) << t.err;
  const auto tj = nlohmann::json::parse(t.out);
  EXPECT_EQ(tj["epochs"].size(), 2u);
  EXPECT_GT(tj["epochs"][0]["attention_penalty"].get<double>(), 0.0);
  EXPECT_EQ(tj["test"]["scenes"], 50);

  const auto e = run_nnlab("caption eval -m " + model + data + " --scenes 30 --json -q");
  ASSERT_EQ(e.exit_code, 0) << e.err;
  const auto ej = nlohmann::json::parse(e.out);
  EXPECT_EQ(ej["scenes"], 30);
  EXPECT_EQ(ej["reference_words"], 60);
  EXPECT_GE(ej["word_accuracy"].get<double>(), 0.0);

  const auto html = dir + "/scene.html";
  const auto d = run_nnlab("caption describe -m " + model + data + " --scene 3 -q --html " + html);
  ASSERT_EQ(d.exit_code, 0) << d.err;
  EXPECT_EQ(line_count(d.out), 1);
  const auto page = read_text(html);
  EXPECT_NE(page.find("data:image/png;base64,"), std::string::npos);
  EXPECT_NE(page.find("test scene 3"), std::string::npos);
}

TEST(CaptionCommand, ACanvasTooSmallIsAOneLineError) {
  const auto dir = scratch_dir("caption_cli_bad");
  write_synthetic_idx(dir + "/data", 100, 20);
  const auto r = run_nnlab("caption train --data idx:" + dir +
                           "/data --items 3 --canvas 64x32 -o " + dir + "/x.pt");
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_EQ(line_count(r.err), 1) << r.err;
  EXPECT_NE(r.err.find("--canvas: 64x32 holds 2 items of 28x28"), std::string::npos) << r.err;
  EXPECT_FALSE(std::filesystem::exists(dir + "/x.pt"));
  const auto g = run_nnlab("caption eval -m " + dir + "/missing.pt --data idx:" + dir + "/data");
  EXPECT_EQ(g.exit_code, 1);
  EXPECT_NE(g.err.find("missing.pt"), std::string::npos) << g.err;
}

}  // namespace
}  // namespace nnlab::testing
