// nnlab lm end to end on a small made-up "poetry" in fortune format: four lines of five
// characters, "，" and "。" in turn, so a few seconds of training learn the form; and the bad
// inputs the issue lists, each a one-line error.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <random>

#include "cli/cli_test_util.h"
#include "nnlab/seq2seq/models/model_file.h"

namespace nnlab::testing {
namespace {

const char* const kLines[] = {"床前明月光", "疑是地上霜", "举头望明月", "低头思故乡",
                              "春眠不觉晓", "处处闻啼鸟", "夜来风雨声", "花落知多少"};

void write(const std::string& path, const std::string& text) {
  std::ofstream(path, std::ios::binary) << text;
}

struct LmFixture {
  std::string dir = scratch_dir("lm_cli");
  std::string poems = dir + "/poems";
  std::string model = dir + "/poems.lm";
  LmFixture() {
    std::mt19937_64 rng(1);
    std::string text;
    for (int p = 0; p < 150; ++p) {
      text += "\x1b[32m《题" + std::to_string(p) + "》\x1b[m\n";  // a title, dropped
      for (int l = 0; l < 4; ++l) {
        text += kLines[rng() % 8];
        text += l % 2 == 0 ? "，" : "。\n";
      }
      text += "%\n";
    }
    write(poems, text);
  }
};

constexpr const char* kSmall =
    " --embedding 16 --hidden 48 --layers 1 --dropout 0 --lr 1e-2 --batch-size 16 --patience 0";

const LmFixture& trained() {
  static LmFixture f;
  static bool done = false;
  if (!done) {
    const auto r = run_nnlab("lm train --text " + f.poems + " --epochs 8 -o " + f.model + kSmall +
                             " -q --json");
    EXPECT_EQ(r.exit_code, 0) << r.err;
    done = true;
  }
  return f;
}

TEST(LmCommand, TrainsAndBeatsTheBaselines) {
  const auto& f = trained();
  ASSERT_TRUE(std::filesystem::exists(f.model));
  const auto r =
      run_nnlab("lm eval -m " + f.model + " --text " + f.poems + " --baselines --json -q");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto rows = nlohmann::json::parse(r.out)["results"];
  ASSERT_EQ(rows.size(), 3u);
  const double rnn = rows[0]["perplexity"], unigram = rows[1]["perplexity"],
               bigram = rows[2]["perplexity"];
  EXPECT_GT(rows[0]["tokens"].get<int>(), 100);
  EXPECT_LT(rnn, bigram);  // the form (where "，" and "。" fall) needs more than one character
  EXPECT_LT(bigram, unigram);
}

TEST(LmCommand, GeneratesReproducibly) {
  const auto& f = trained();
  const std::string base = "lm generate -m " + f.model + " --prompt 床前明月光， -q --json";
  const auto greedy = run_nnlab(base + " --temperature 0 --max-tokens 30");
  ASSERT_EQ(greedy.exit_code, 0) << greedy.err;
  const auto samples = [](const CommandResult& r) {
    return nlohmann::json::parse(r.out)["samples"].dump();
  };
  EXPECT_EQ(samples(greedy),
            samples(run_nnlab(base + " --temperature 0 --max-tokens 30 --seed 9")));
  const auto text = nlohmann::json::parse(greedy.out)["samples"][0]["text"].get<std::string>();
  EXPECT_EQ(text.rfind("床前明月光，", 0), 0u) << text;  // the prompt starts the text

  const std::string sample = base + " --temperature 0.8 --samples 20 --verse --max-tokens 40";
  const auto a = run_nnlab(sample + " --seed 1");
  ASSERT_EQ(a.exit_code, 0) << a.err;
  EXPECT_EQ(a.out, run_nnlab(sample + " --seed 1").out);
  EXPECT_NE(a.out, run_nnlab(sample + " --seed 2").out);
  const auto j = nlohmann::json::parse(a.out);
  EXPECT_EQ(j["samples"].size(), 20u);
  EXPECT_GT(j["verse"]["lines"].get<int>(), 20);
  EXPECT_GT(j["verse"]["share"].get<double>(), 0.8);  // the form is easy to learn here

  const auto beam = run_nnlab(base + " --temperature 0 --beam 4 --nbest 2 --max-tokens 12");
  ASSERT_EQ(beam.exit_code, 0) << beam.err;
  EXPECT_EQ(nlohmann::json::parse(beam.out)["samples"].size(), 2u);
}

// A training state written by --checkpoint resumes to the run an uninterrupted training gives:
// the same losses and dev perplexities, epoch by epoch (the state carries the data split).
TEST(LmCommand, ResumesWhereAnUninterruptedRunEnds) {
  const auto& f = trained();
  const auto dir = scratch_dir("lm_cli_resume");
  const std::string base = "lm train --text " + f.poems + kSmall + " -q --json";
  const auto whole = run_nnlab(base + " --epochs 3 -o " + dir + "/whole.lm");
  ASSERT_EQ(whole.exit_code, 0) << whole.err;
  const auto first =
      run_nnlab(base + " --epochs 2 -o " + dir + "/first.lm --checkpoint " + dir + "/state.lm");
  ASSERT_EQ(first.exit_code, 0) << first.err;
  const auto rest =
      run_nnlab(base + " --epochs 3 -o " + dir + "/rest.lm --resume " + dir + "/state.lm");
  ASSERT_EQ(rest.exit_code, 0) << rest.err;
  const auto epochs = [](const CommandResult& r) {
    std::vector<std::pair<double, double>> out;
    const auto json = nlohmann::json::parse(r.out);
    for (const auto& e : json.at("epochs"))
      out.emplace_back(e["loss"].get<double>(), e["dev_perplexity"].get<double>());
    return out;
  };
  const auto expected = epochs(whole), resumed = epochs(rest);
  ASSERT_EQ(expected.size(), 3u);
  ASSERT_EQ(resumed.size(), 3u);
  for (size_t i = 0; i < expected.size(); ++i) {
    EXPECT_NEAR(resumed[i].first, expected[i].first, 1e-6) << "epoch " << i + 1;
    EXPECT_NEAR(resumed[i].second, expected[i].second, 1e-4) << "epoch " << i + 1;
  }
  // A finished model is not a training state: a one-line error naming the file.
  expect_clean_error(run_nnlab(base + " --epochs 3 -o " + dir + "/x.lm --resume " + f.model),
                     "poems.lm", "not a training state");
}

TEST(LmCommand, BadInputIsAOneLineError) {
  const auto& f = trained();
  const auto dir = scratch_dir("lm_cli_bad");
  write(dir + "/empty", "%\n\x1b[32m《无》\x1b[m\n%\n");
  expect_clean_error(run_nnlab("lm train --text " + dir + "/empty -o " + dir + "/x.lm"), "empty",
                     "no text");
  EXPECT_FALSE(std::filesystem::exists(dir + "/x.lm"));
  // A prompt with a character the model never saw is an error, not a silent <unk>.
  expect_clean_error(run_nnlab("lm generate -m " + f.model + " --prompt 白日依山尽"), "--prompt",
                     "never seen in training");
  // A G2P model is not a language model.
  seq2seq::SequenceModel g2p;
  g2p.task = "g2p";
  seq2seq::Tokens letters = {"A", "B"};
  g2p.source_vocabulary = seq2seq::Vocabulary::build({&letters});
  g2p.target_vocabulary = g2p.source_vocabulary;
  g2p.options.embedding = 4;
  g2p.options.encoder_hidden = 4;
  g2p.options.decoder_hidden = 4;
  g2p.create_network();
  seq2seq::save_sequence_model(dir + "/g2p.pt", g2p);
  expect_clean_error(run_nnlab("lm generate -m " + dir + "/g2p.pt --prompt A"), "g2p.pt",
                     "not an nnlab language model");
}

}  // namespace
}  // namespace nnlab::testing
