// Every model-file reader given an empty file, a truncated one, random bytes and a model file of
// another kind: each is one line on stderr naming the file and exit status 1, never a crash.
// Each reader is first shown to accept its own valid file, so the refusals are the reader's.
// docs/BAD_INPUT.md lists every case with the test that tries it.
#include <gtest/gtest.h>
#include <torch/script.h>
#include <torch/torch.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <random>

#include "cli/cli_test_util.h"
#include "nnlab/compress/nnz_format.h"
#include "nnlab/compress/nnz_model.h"
#include "nnlab/models/checkpoint.h"
#include "nnlab/models/pth_reader.h"
#include "nnlab/models/pth_writer.h"
#include "nnlab/models/registry.h"
#include "nnlab/models/state_dict.h"

namespace nnlab::testing {
namespace fs = std::filesystem;

namespace {

void write(const std::string& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary) << bytes;
}

// One valid file of every kind, made once: classifier formats through the library, the
// sequence, language and caption models by tiny training runs.
struct ModelFiles {
  std::string dir = scratch_dir("bad_model_files");
  std::string data = dir + "/data";
  std::string checkpoint = dir + "/lenet300.ckpt";
  std::string pth = dir + "/lenet300.pth";
  std::string torchscript = dir + "/scripted.pt";
  std::string nnz = dir + "/lenet300.nnz";
  std::string g2p = dir + "/g2p.pt";
  std::string seq2seq = dir + "/s2s.pt";
  std::string lm = dir + "/poems.lm";
  std::string caption = dir + "/caption.pt";
  std::string words = dir + "/words.txt";
  ModelFiles() {
    write_synthetic_idx(data, 60, 10);
    torch::manual_seed(0);
    const auto model = models::create_model("lenet300");
    models::save_checkpoint(checkpoint, models::make_checkpoint(model));
    models::write_legacy_pth(pth, models::state_dict(model));
    compress::save_nnz(nnz, compress::nnz_from_model(model, {}));
    torch::jit::Module scripted("Scripted");
    scripted.define(R"(
      def forward(self, x):
          return x.flatten(1)[:, :10]
    )");
    scripted.save(torchscript);

    write(dir + "/dict", "abc AA B K\ncab K AA B\nbac B AA K\nbad B AA D\ndab D AA B\n");
    write(dir + "/pairs.tsv", "ab\tb a\nba\ta b\naa\ta a\nbb\tb b\nab\tb a\n");
    write(words, "abc\n");
    std::string poems;
    for (int i = 0; i < 200; ++i) poems += "the cat sat on mat " + std::to_string(i) + "\n%\n";
    write(dir + "/poems", poems);
    const std::string tiny = " --embedding 4 --hidden 8 --epochs 1 -q";
    const std::vector<std::string> trainings = {
        "g2p train --train " + dir + "/dict --dev-fraction 0.4 --decoder-hidden 8 -o " + g2p + tiny,
        "seq2seq train --train " + dir +
            "/pairs.tsv --source-tokens chars --target-tokens words --dev-fraction 0.4 "
            "--decoder-hidden 8 -o " +
            seq2seq + tiny,
        "lm train --text " + dir + "/poems --layers 1 -o " + lm + tiny,
        "caption train --data idx:" + data +
            " --scenes 8 --dev-scenes 2 --test-scenes 2 --items 1 --canvas 32x32 --features 8 -o " +
            caption + tiny,
    };
    for (const auto& command : trainings) {
      const auto r = run_nnlab(command);
      EXPECT_EQ(r.exit_code, 0) << command << "\n" << r.err;
    }
  }
};

const ModelFiles& files() {
  static const ModelFiles f;
  return f;
}

struct Reader {
  std::string name;
  std::string valid;       // a file this reader takes
  std::string extension;   // the bad files are named like the valid one
  std::string other_kind;  // a model file of another kind
  std::function<std::string(const std::string&)> command;  // the command reading the file
};

std::vector<Reader> readers() {
  const auto& f = files();
  const std::string data = " --data idx:" + f.data + " --limit 5 -q";
  return {
      {"checkpoint", f.checkpoint, ".ckpt", f.g2p,
       [=](const std::string& p) { return "eval --model " + p + data; }},
      {"pth", f.pth, ".pth", f.caption,
       [=](const std::string& p) { return "eval --weights " + p + " --arch lenet300" + data; }},
      {"torchscript", f.torchscript, ".pt", f.lm,
       [=](const std::string& p) { return "eval --model " + p + " --input-size 1x28x28" + data; }},
      {"nnz", f.nnz, ".nnz", f.caption,
       [=](const std::string& p) { return "eval --model " + p + data; }},
      {"g2p", f.g2p, ".pt", f.checkpoint,
       [=](const std::string& p) { return "g2p pronounce -m " + p + " abc -q"; }},
      {"seq2seq", f.seq2seq, ".pt", f.nnz,
       [=](const std::string& p) {
         return "seq2seq translate -m " + p + " --input " + f.words + " -q";
       }},
      {"lm", f.lm, ".lm", f.g2p,
       [=](const std::string& p) { return "lm generate -m " + p + " --max-tokens 3 -q"; }},
      {"caption", f.caption, ".pt", f.lm,
       [=](const std::string& p) {
         return "caption eval -m " + p + " --data idx:" + f.data + " --scenes 2 -q";
       }},
  };
}

void expect_refused(const std::string& command, const std::string& file) {
  const auto r = run_nnlab(command);
  EXPECT_EQ(r.exit_code, 1) << command << "\nsignal " << r.signal << "\n" << r.err;
  EXPECT_EQ(line_count(r.err), 1) << command << "\n" << r.err;
  EXPECT_NE(r.err.find(file), std::string::npos) << command << "\n" << r.err;
}

void check_reader(const std::string& name) {
  const auto& f = files();
  for (const auto& reader : readers()) {
    if (reader.name != name) continue;
    const auto ok = run_nnlab(reader.command(reader.valid));
    ASSERT_EQ(ok.exit_code, 0) << reader.command(reader.valid) << "\n" << ok.err;

    const std::string base = f.dir + "/" + name;
    const std::string empty = base + "_empty" + reader.extension;
    write(empty, "");
    expect_refused(reader.command(empty), empty);

    const std::string whole = read_text(reader.valid);
    for (const double keep : {0.5, 0.98}) {
      const std::string cut =
          base + "_cut" + std::to_string(static_cast<int>(keep * 100)) + reader.extension;
      write(cut, whole.substr(0, static_cast<std::size_t>(whole.size() * keep)));
      expect_refused(reader.command(cut), cut);
    }

    std::mt19937 rng(7);
    std::string noise(4096, '\0');
    for (auto& c : noise) c = static_cast<char>(rng());
    const std::string random = base + "_random" + reader.extension;
    write(random, noise);
    expect_refused(reader.command(random), random);

    const std::string other = base + "_other_kind" + reader.extension;
    fs::copy_file(reader.other_kind, other, fs::copy_options::overwrite_existing);
    expect_refused(reader.command(other), other);
    return;
  }
  FAIL() << "no reader " << name;
}

}  // namespace

TEST(BadModelFiles, Checkpoint) {
  check_reader("checkpoint");
}
TEST(BadModelFiles, Pth) {
  check_reader("pth");
}
TEST(BadModelFiles, TorchScript) {
  check_reader("torchscript");
}
TEST(BadModelFiles, Nnz) {
  check_reader("nnz");
}
TEST(BadModelFiles, G2p) {
  check_reader("g2p");
}
TEST(BadModelFiles, Seq2Seq) {
  check_reader("seq2seq");
}
TEST(BadModelFiles, LanguageModel) {
  check_reader("lm");
}
TEST(BadModelFiles, Caption) {
  check_reader("caption");
}

}  // namespace nnlab::testing
