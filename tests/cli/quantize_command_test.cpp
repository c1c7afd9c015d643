// nnlab quantize: k-means and float16 .nnz files that evaluate as they report, and damage refused.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "cli/cli_test_util.h"

namespace nnlab::testing {
namespace fs = std::filesystem;

TEST(QuantizeCommand, QuantizeWritesAnNnzThatEvaluatesAndRefusesDamage) {
  const auto dir = trained_lenet300("quantize", 2);
  const std::string data = " --data idx:" + dir + "/data";
  ASSERT_EQ(run_nnlab("prune --model " + dir + "/d.ckpt --sparsity 0.9 --finetune-epochs 0 -o " +
                      dir + "/p.ckpt -q")
                .exit_code,
            0);
  const auto q = run_nnlab("quantize --model " + dir + "/p.ckpt --bits 4 --finetune-epochs 1 -o " +
                           dir + "/m.nnz --json -q");
  ASSERT_EQ(q.exit_code, 0) << q.err;
  const auto j = nlohmann::json::parse(q.out);
  EXPECT_LT(j["file_bytes"].get<double>() * 20, j["float32_bytes"].get<double>());
  const auto eval = run_nnlab("eval --model " + dir + "/m.nnz" + data + " --json -q");
  ASSERT_EQ(eval.exit_code, 0) << eval.err;
  EXPECT_DOUBLE_EQ(nlohmann::json::parse(eval.out)["accuracy"].get<double>(),
                   j["accuracy_finetuned"].get<double>());

  // One changed byte, and a cut file: one line naming the file, exit 1.
  auto bytes = read_text(dir + "/m.nnz");
  bytes[bytes.size() / 2] = static_cast<char>(bytes[bytes.size() / 2] ^ 0x10);
  std::ofstream(dir + "/bad.nnz", std::ios::binary) << bytes;
  std::ofstream(dir + "/cut.nnz", std::ios::binary) << read_text(dir + "/m.nnz").substr(0, 100);
  for (const auto* name : {"/bad.nnz", "/cut.nnz"}) {
    const auto r = run_nnlab("eval --model " + dir + name + data + " -q");
    EXPECT_EQ(r.exit_code, 1) << name;
    EXPECT_EQ(line_count(r.err), 1) << r.err;
    EXPECT_NE(r.err.find(name + 1), std::string::npos) << r.err;
  }
  const auto bad_bits =
      run_nnlab("quantize --model " + dir + "/p.ckpt --bits 0 -o " + dir + "/x.nnz -q");
  EXPECT_EQ(bad_bits.exit_code, 1);
  EXPECT_FALSE(fs::exists(dir + "/x.nnz"));
}

TEST(QuantizeCommand, QuantizeToFloat16HalvesTheFileAndKeepsTheAccuracyItReports) {
  const auto dir = trained_lenet300("quantize_half", 1);
  const std::string data = " --data idx:" + dir + "/data";
  const auto q = run_nnlab("quantize --model " + dir + "/d.ckpt --method float16 -o " + dir +
                           "/h.nnz --json -q");
  ASSERT_EQ(q.exit_code, 0) << q.err;
  const auto j = nlohmann::json::parse(q.out);
  EXPECT_EQ(j["bits"], 16);
  const double ratio = j["float32_bytes"].get<double>() / j["file_bytes"].get<double>();
  EXPECT_GT(ratio, 1.95);
  EXPECT_LT(ratio, 2.0);
  const auto eval = run_nnlab("eval --model " + dir + "/h.nnz" + data + " --json -q");
  ASSERT_EQ(eval.exit_code, 0) << eval.err;
  EXPECT_DOUBLE_EQ(nlohmann::json::parse(eval.out)["accuracy"].get<double>(),
                   j["accuracy_quantized"].get<double>());
  const auto bad = run_nnlab("quantize --model " + dir +
                             "/d.ckpt --method uniform --scheme odd -o " + dir + "/x.nnz -q");
  EXPECT_EQ(bad.exit_code, 1);
  EXPECT_EQ(line_count(bad.err), 1) << bad.err;
}

}  // namespace nnlab::testing
