// nnlab g2p end to end on the toy language (cli/toy_language.h), whose spelling maps letter by
// letter to phones, so a few seconds of training learn it; and every bad input the issue lists,
// each a one-line error naming the file.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <random>
#include <set>

#include "cli/cli_test_util.h"
#include "cli/toy_language.h"
#include "nnlab/models/checkpoint.h"
#include "nnlab/models/registry.h"

namespace nnlab::testing {
namespace {

struct G2pFixture {
  std::string dir = scratch_dir("g2p_cli");
  std::string train = dir + "/train.dict";
  std::string ref = dir + "/test.ref";
  std::string model = dir + "/g2p.pt";
  std::size_t test_words = 0;  // distinct words of the reference file
  G2pFixture() {
    // CMUdict format, lower case with stress digits and an alternate, as Debian ships it.
    std::string dict = ";;; made-up dictionary\n";
    for (const auto& w : words(300, 1)) {
      std::string lower = w;
      for (auto& c : lower) c = static_cast<char>(std::tolower(c));
      dict += lower + " " + pronounce(w) + "1\n";
    }
    dict += "abc(2) AA B K\n";
    write(train, dict);
    // The benchmark's reference format: several references on one line.
    std::string refs;
    const auto test = words(40, 2);
    for (const auto& w : std::set<std::string>(test.begin(), test.end())) {
      refs += w + "\t" + pronounce(w) + "\tZZ " + pronounce(w) + "\n";
      ++test_words;
    }
    write(ref, refs);
  }
};

const G2pFixture& trained() {
  static G2pFixture f;
  static bool done = false;
  if (!done) {
    const auto r = run_nnlab("g2p train --train " + f.train + " --epochs 25 -o " + f.model +
                             kSmallModel + " -q --json");
    EXPECT_EQ(r.exit_code, 0) << r.err;
    done = true;
  }
  return f;
}

TEST(G2pCommand, TrainsEvaluatesAndPronounces) {
  const auto& f = trained();
  ASSERT_TRUE(std::filesystem::exists(f.model));
  const auto eval = run_nnlab("g2p eval -m " + f.model + " --test " + f.ref +
                              " --beam 3 --json -q --output " + f.dir + "/hyp.tsv");
  ASSERT_EQ(eval.exit_code, 0) << eval.err;
  const auto j = nlohmann::json::parse(eval.out);
  EXPECT_EQ(j["words"], f.test_words);
  EXPECT_LT(j["wer"].get<double>(), 15.0);  // a letter-by-letter language is easy
  EXPECT_LT(j["per"].get<double>(), 5.0);
  EXPECT_FALSE(j["by_length"].empty());
  EXPECT_GT(j["words_per_second"].get<double>(), 0.0);
  EXPECT_EQ(line_count(read_text(f.dir + "/hyp.tsv")), static_cast<int>(f.test_words));

  const auto svg = f.dir + "/attention.svg";
  const auto p = run_nnlab("g2p pronounce -m " + f.model +
                           " bead cafe --nbest 2 --beam 4 --json -q --attention-svg " + svg);
  ASSERT_EQ(p.exit_code, 0) << p.err;
  const auto pj = nlohmann::json::parse(p.out)["words"];
  ASSERT_EQ(pj.size(), 2u);
  EXPECT_EQ(pj[0]["word"], "BEAD");
  ASSERT_EQ(pj[0]["pronunciations"].size(), 2u);
  EXPECT_EQ(pj[0]["pronunciations"][0]["phones"], "B IY AA D");
  const double p0 = pj[0]["pronunciations"][0]["probability"];
  const double p1 = pj[0]["pronunciations"][1]["probability"];
  EXPECT_GT(p0, p1);
  EXPECT_LE(p0 + p1, 1.0 + 1e-6);
  const auto drawing = read_text(svg);
  EXPECT_NE(drawing.find("<svg"), std::string::npos);
  EXPECT_NE(drawing.find(">IY<"), std::string::npos);  // a phone on an axis
}

TEST(G2pCommand, UnknownLettersAreSkippedWithAWarning) {
  const auto& f = trained();
  const auto p = run_nnlab("g2p pronounce -m " + f.model + " bad zebra");
  ASSERT_EQ(p.exit_code, 0) << p.err;
  EXPECT_NE(p.err.find("skipping 'ZEBRA': 'Z' was never seen in training"), std::string::npos)
      << p.err;
  EXPECT_EQ(line_count(p.out), 1);
  const auto none = run_nnlab("g2p pronounce -m " + f.model + " zz");
  EXPECT_EQ(none.exit_code, 1);
}

TEST(G2pBadInput, EachIsAOneLineErrorNamingTheFile) {
  const auto& f = trained();
  const auto dir = scratch_dir("g2p_bad");
  const auto out = dir + "/never.pt";

  write(dir + "/empty_line.dict", "abc AA B K\n\nbad B AA D\n");
  expect_clean_error(run_nnlab("g2p train --train " + dir + "/empty_line.dict -o " + out),
                     "empty_line.dict", "line 2: empty line");

  write(dir + "/malformed.dict", "abc AA B K\nbad\n");
  expect_clean_error(run_nnlab("g2p train --train " + dir + "/malformed.dict -o " + out),
                     "malformed.dict", "line 2");

  write(dir + "/empty.ref", "");
  expect_clean_error(run_nnlab("g2p eval -m " + f.model + " --test " + dir + "/empty.ref"),
                     "empty.ref", "no entries");

  write(dir + "/unknown.ref", "ABC\tAA B K\nAXE\tAA K S IY\n");
  expect_clean_error(run_nnlab("g2p eval -m " + f.model + " --test " + dir + "/unknown.ref"),
                     "unknown.ref", "line 2: 'AXE' contains 'X', never seen in training");

  const auto classifier = dir + "/lenet.ckpt";
  models::save_checkpoint(classifier, models::make_checkpoint(models::create_model("lenet300")));
  expect_clean_error(run_nnlab("g2p eval -m " + classifier + " --test " + f.ref), "lenet.ckpt",
                     "not an nnlab seq2seq model");
  expect_clean_error(run_nnlab("g2p pronounce -m " + f.train + " abc"), "train.dict", "not");

  expect_clean_error(
      run_nnlab("g2p train --train " + f.train + " --lr-schedule sometimes -o " + out),
      "--lr-schedule", "expected plateau or cosine, got 'sometimes'");

  EXPECT_FALSE(std::filesystem::exists(out));
}

TEST(G2pCommand, SeveralModelsDecodeAsAnEnsemble) {
  const auto& f = trained();
  const auto dir = scratch_dir("g2p_ensemble");
  const auto eval = [&](const std::string& models) {
    const auto r = run_nnlab("g2p eval " + models + " --test " + f.ref + " --beam 3 --json -q");
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return r.exit_code == 0 ? nlohmann::json::parse(r.out) : nlohmann::json::object();
  };
  // The same model twice is the same distribution: the ensemble decodes exactly as the model.
  const auto single = eval("-m " + f.model);
  const auto twice = eval("-m " + f.model + " --model " + f.model);
  EXPECT_FALSE(single.contains("ensemble"));
  EXPECT_EQ(twice["model"], f.model);
  EXPECT_EQ(twice["ensemble"].size(), 2U);
  EXPECT_EQ(twice["wer"], single["wer"]);
  EXPECT_EQ(twice["per"], single["per"]);
  // Words after the repeated flag are still words.
  const auto p1 = run_nnlab("g2p pronounce -m " + f.model + " bead --nbest 2 --json -q");
  const auto p2 =
      run_nnlab("g2p pronounce -m " + f.model + " -m " + f.model + " bead --nbest 2 --json -q");
  ASSERT_EQ(p2.exit_code, 0) << p2.err;
  const auto a = nlohmann::json::parse(p1.out)["words"][0]["pronunciations"];
  const auto b = nlohmann::json::parse(p2.out)["words"][0]["pronunciations"];
  ASSERT_EQ(b.size(), 2U);
  for (std::size_t k = 0; k < 2; ++k) {
    EXPECT_EQ(b[k]["phones"], a[k]["phones"]);
    EXPECT_NEAR(b[k]["probability"].get<double>(), a[k]["probability"].get<double>(), 1e-5);
  }

  // A second model trained from another seed: the pair decodes the test words as well as one.
  const auto second = dir + "/second.pt";
  const auto t = run_nnlab("--seed 7 g2p train --train " + f.train + " --epochs 25 -o " + second +
                           kSmallModel + " -q");
  ASSERT_EQ(t.exit_code, 0) << t.err;
  const auto pair = eval("-m " + f.model + " -m " + second);
  EXPECT_EQ(pair["words"], f.test_words);
  EXPECT_LT(pair["wer"].get<double>(), 15.0);

  // Models that do not share their vocabularies cannot be averaged.
  write(dir + "/abc.dict", "abc AA B K\ncab K AA B\nbac B AA K\n");
  const auto other = dir + "/abc.pt";
  ASSERT_EQ(run_nnlab("g2p train --train " + dir + "/abc.dict --dev-fraction 0.34 --epochs 1 -o " +
                      other + kSmallModel + " -q")
                .exit_code,
            0);
  expect_clean_error(run_nnlab("g2p eval -m " + f.model + " -m " + other + " --test " + f.ref),
                     "abc.pt", "its vocabularies differ from");
}

}  // namespace
}  // namespace nnlab::testing
