// nnlab seq2seq end to end on the toy language (cli/toy_language.h): train, translate (one
// model and an ensemble), evaluate, and a seq2seq model refused by g2p.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <set>
#include <string>

#include "cli/cli_test_util.h"
#include "cli/toy_language.h"

namespace nnlab::testing {

TEST(Seq2SeqCommand, TrainTranslateEvalOnParallelText) {
  const auto dir = scratch_dir("seq2seq_cli");
  // "Translation": each word's letters to its phones, as characters on the target side.
  std::string tsv;
  for (const auto& w : words(300, 3)) tsv += w + "\t" + pronounce(w) + "\n";
  write(dir + "/train.tsv", tsv);
  std::string test;
  const auto test_words = words(30, 4);
  for (const auto& w : std::set<std::string>(test_words.begin(), test_words.end()))
    test += w + "\t" + pronounce(w) + "\n";
  write(dir + "/test.tsv", test);
  const auto model = dir + "/s2s.pt";
  const auto t = run_nnlab("seq2seq train --train " + dir +
                           "/train.tsv --source-tokens chars "
                           "--target-tokens words --epochs 25 -o " +
                           model + kSmallModel + " -q");
  ASSERT_EQ(t.exit_code, 0) << t.err;
  const auto e = run_nnlab("seq2seq eval -m " + model + " --test " + dir + "/test.tsv --json -q");
  ASSERT_EQ(e.exit_code, 0) << e.err;
  const auto j = nlohmann::json::parse(e.out);
  EXPECT_EQ(j["sentences"], line_count(test));
  EXPECT_GT(j["bleu"].get<double>(), 80.0);
  write(dir + "/in.txt", "ABBA\nFED\n");
  const auto tr = run_nnlab("seq2seq translate -m " + model + " --input " + dir + "/in.txt -q");
  ASSERT_EQ(tr.exit_code, 0) << tr.err;
  EXPECT_EQ(tr.out, "AA B B AA\nF IY D\n");
  const auto pair = run_nnlab("seq2seq translate -m " + model + " -m " + model + " --input " + dir +
                              "/in.txt -q");
  EXPECT_EQ(pair.out, tr.out) << pair.err;
  // A seq2seq model is not a G2P model.
  expect_clean_error(run_nnlab("g2p pronounce -m " + model + " abc"), "s2s.pt",
                     "a model trained for 'seq2seq', not for 'g2p'");
}

}  // namespace nnlab::testing
