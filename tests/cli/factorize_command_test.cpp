// nnlab factorize: a Linear layer replaced by its truncated SVD, smaller and reloadable.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <vector>

#include "cli/cli_test_util.h"
#include "cli/refused_commands.h"

namespace nnlab::testing {

TEST(FactorizeCommand, WritesAReloadableSmallerModel) {
  const auto dir = scratch_dir("factorize");
  write_synthetic_idx(dir + "/data", 400, 100);
  const std::string data = " --data idx:" + dir + "/data";
  ASSERT_EQ(run_nnlab("train --arch lenet300" + data + " --epochs 1 -o " + dir + "/l300.ckpt -q")
                .exit_code,
            0);

  // Factorization of lenet300's fc1 to rank 32.
  const auto factorize =
      run_nnlab("factorize --model " + dir + "/l300.ckpt --layers fc1 " +
                "--rank 32 --finetune-epochs 1 -o " + dir + "/lr.ckpt --json -q");
  ASSERT_EQ(factorize.exit_code, 0) << factorize.err;
  const auto f = nlohmann::json::parse(factorize.out);
  EXPECT_EQ(f["layers"][0]["params_after"].get<int>(), 32 * (784 + 300) + 300);
  const auto lr_eval = run_nnlab("eval --model " + dir + "/lr.ckpt" + data + " --json -q");
  ASSERT_EQ(lr_eval.exit_code, 0) << lr_eval.err;
  EXPECT_DOUBLE_EQ(nlohmann::json::parse(lr_eval.out)["accuracy"].get<double>(),
                   f["accuracy_finetuned"].get<double>());

  // Bad input: one line each, nothing written.
  const std::vector<std::string> bad = {
      "factorize --layers fc1 --rank 301 --model " + dir + "/l300.ckpt",
      "factorize --layers fc9 --rank 8 --model " + dir + "/l300.ckpt",
      "factorize --layers fc1 --rank 8 --model " + dir + "/data/t10k-labels-idx1-ubyte",
  };
  expect_refused_without_output(bad, dir + "/bad.ckpt");
}

}  // namespace nnlab::testing
