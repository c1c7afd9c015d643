// Every command's --json output (and attack's metrics.json) checked against its documented JSON
// Schema (docs/schemas/<command>.json, described in docs/JSON.md) by scripts/check_json_schema.py:
// a documented key missing, a key of the wrong type or an undocumented key fails. Each command
// runs once on tiny data (seconds). Also: every command of the command line has a schema and a
// section in docs/JSON.md, and the check refuses what it should.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <random>
#include <set>

#include "../../app/command_line.h"
#include "cli/cli_test_util.h"

namespace nnlab::testing {
namespace fs = std::filesystem;

namespace {

const std::string kSource = NNLAB_SOURCE_DIR;

std::string schema_path(const std::string& name) {
  return kSource + "/docs/schemas/" + name + ".json";
}

void write(const std::string& path, const std::string& text) {
  std::ofstream(path, std::ios::binary) << text;
}

// The checker's verdict on one document: exit status and what it printed.
CommandResult check(const std::string& schema, const nlohmann::json& document) {
  static int counter = 0;
  const auto base = fs::temp_directory_path() / ("nnlab_schema_" + std::to_string(::getpid()) +
                                                 "_" + std::to_string(counter++));
  const std::string doc = base.string() + ".json", out = base.string() + ".out";
  write(doc, document.dump(2));
  const std::string command = "python3 " + kSource + "/scripts/check_json_schema.py " +
                              schema_path(schema) + " " + doc + " > " + out + " 2>&1";
  const int status = std::system(command.c_str());
  CommandResult result;
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  result.out = read_text(out);
  fs::remove(doc);
  fs::remove(out);
  return result;
}

// Runs `nnlab args --json -q`, expects success, and checks stdout against the schema.
nlohmann::json expect_valid(const std::string& schema, const std::string& args) {
  const auto r = run_nnlab(args + " --json -q");
  EXPECT_EQ(r.exit_code, 0) << args << "\n" << r.err;
  if (r.exit_code != 0) return {};
  const auto j = nlohmann::json::parse(r.out);
  const auto verdict = check(schema, j);
  EXPECT_EQ(verdict.exit_code, 0) << schema << ": " << args << "\n" << verdict.out;
  // What every result carries, whatever the schema says.
  EXPECT_EQ(j.value("format_version", 0), 1) << args;
  EXPECT_EQ(j["provenance"].value("precision", ""), "fp32") << args;
  return j;
}

const char* const kPhones[] = {"AA", "B", "K", "D", "IY", "F"};  // for the letters A..F

std::vector<std::string> words(int n, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<std::string> out;
  for (int i = 0; i < n; ++i) {
    std::string w;
    const int length = 2 + static_cast<int>(rng() % 4);
    for (int j = 0; j < length; ++j) w += static_cast<char>('A' + rng() % 6);
    out.push_back(w);
  }
  return out;
}

std::string pronounce(const std::string& word) {
  std::string out;
  for (const char c : word) out += (out.empty() ? "" : " ") + std::string(kPhones[c - 'A']);
  return out;
}

// The leaf subcommands of the command line ("train", "g2p eval", ...).
std::vector<std::string> leaf_commands(const CLI::App& app, const std::string& prefix) {
  std::vector<std::string> out;
  for (const auto* sub : app.get_subcommands([](const CLI::App*) { return true; })) {
    const auto name = prefix.empty() ? sub->get_name() : prefix + " " + sub->get_name();
    const auto below = leaf_commands(*sub, name);
    if (below.empty()) {
      out.push_back(name);
    } else {
      out.insert(out.end(), below.begin(), below.end());
    }
  }
  return out;
}

}  // namespace

TEST(JsonSchemas, ClassifierCommands) {
  const auto dir = scratch_dir("json_schema_classifier");
  write_synthetic_idx(dir + "/data", 300, 40);
  const std::string data = " --data idx:" + dir + "/data";
  expect_valid("train", "train --arch lenet300 --epochs 1" + data + " -o " + dir + "/m.ckpt");
  ASSERT_EQ(
      run_nnlab("train --arch cnn --epochs 1 -q" + data + " -o " + dir + "/cnn.ckpt").exit_code, 0);
  const std::string model = " --model " + dir + "/m.ckpt";
  expect_valid("eval", "eval" + model + data);
  expect_valid("export-images", "export-images --count 6 -o " + dir + "/images" + data);
  expect_valid("predict", "predict" + model + " " + dir + "/images -k 2");
  expect_valid("summary", "summary" + model);

  // One budget (its metrics at the top level), then two (a run per budget), with a report.
  expect_valid("attack", "attack --method fgsm --epsilon 8" + model + " --input " + dir +
                             "/images --output " + dir + "/adv");
  const auto metrics = nlohmann::json::parse(read_text(dir + "/adv/metrics.json"));
  const auto verdict = check("attack-metrics", metrics);
  EXPECT_EQ(verdict.exit_code, 0) << verdict.out;
  expect_valid("attack", "attack --method pgd --steps 2 --epsilon 4,8 --defense median:3" + model +
                             " --input " + dir + "/images --output " + dir + "/adv2 --report " +
                             dir + "/r.html");
  EXPECT_NE(read_text(dir + "/r.html").find("<section id=\"provenance\">"), std::string::npos);
  // --adaptive: each defense's adaptive_accuracy and adaptive_seconds, in both outputs.
  expect_valid("attack", "attack --method fgsm --epsilon 8 --defense bits:4,noise:8 --adaptive" +
                             model + " --input " + dir + "/images --output " + dir + "/adv3");
  const auto adaptive =
      check("attack-metrics", nlohmann::json::parse(read_text(dir + "/adv3/metrics.json")));
  EXPECT_EQ(adaptive.exit_code, 0) << adaptive.out;
  expect_valid("attack-eval", "attack-eval --input " + dir + "/adv --labels " + dir + "/images" +
                                  model + " --defense median:3");
  // AutoAttack's stages in the attack's JSON and metrics.json, and the robustness evaluation.
  const std::string quick_aa = " --aa-version custom --aa-attacks apgd,pgd --aa-steps 2";
  expect_valid("attack", "attack --method autoattack --epsilon 16" + quick_aa + model +
                             " --input " + dir + "/images --output " + dir + "/adv_aa");
  const auto aa_metrics = nlohmann::json::parse(read_text(dir + "/adv_aa/metrics.json"));
  EXPECT_EQ(check("attack-metrics", aa_metrics).exit_code, 0);
  EXPECT_EQ(aa_metrics["stages"].size(), 2u);
  expect_valid("robustness",
               "robustness --epsilon 16 --pgd-steps 2 --limit 20" + quick_aa + model + data);
  expect_valid("certify", "certify" + model + data +
                              " --sigma 0.25 --n0 5 --n 20 --limit 2 --output " + dir + "/c.csv");

  expect_valid("prune", "prune" + model + " --sparsity 0.5 --steps 1 --finetune-epochs 0 -o " +
                            dir + "/p.ckpt");
  expect_valid("prune",
               "prune --structured --target-macs 0.7 --steps 1 --finetune-epochs 0 "
               "--model " +
                   dir + "/cnn.ckpt -o " + dir + "/thin.ckpt");
  expect_valid("factorize", "factorize" + model + " --layers fc1 --rank 8 --finetune-epochs 0 -o " +
                                dir + "/f.ckpt");
  expect_valid("convert", "convert --depthwise --model " + dir +
                              "/cnn.ckpt --finetune-epochs 0 -o " + dir + "/dw.ckpt");
  expect_valid("quantize", "quantize --model " + dir + "/p.ckpt --bits 4 --finetune-epochs 0 -o " +
                               dir + "/q.nnz");
  expect_valid("compress", "compress --pipeline deep" + model +
                               " --steps 1 --finetune-epochs 0 --cluster-epochs 0 -o " + dir +
                               "/c.nnz");
}

TEST(JsonSchemas, SequenceCommands) {
  const auto dir = scratch_dir("json_schema_sequence");
  constexpr const char* kSmall =
      " --embedding 8 --hidden 16 --encoder-layers 1 --decoder-hidden 16 --dropout 0"
      " --batch-size 16 --epochs 2";
  std::string dict, refs, tsv;
  for (const auto& w : words(60, 1)) {
    std::string lower = w;
    for (auto& c : lower) c = static_cast<char>(std::tolower(c));
    dict += lower + " " + pronounce(w) + "\n";
    tsv += w + "\t" + pronounce(w) + "\n";
  }
  for (const auto& w : words(8, 2)) refs += w + "\t" + pronounce(w) + "\n";
  write(dir + "/train.dict", dict);
  write(dir + "/test.ref", refs);
  write(dir + "/train.tsv", tsv);
  write(dir + "/in.txt", "ABBA\nFED\n");

  expect_valid("g2p-train",
               "g2p train --train " + dir + "/train.dict -o " + dir + "/g2p.pt" + kSmall);
  expect_valid("g2p-eval", "g2p eval -m " + dir + "/g2p.pt --test " + dir + "/test.ref --beam 2");
  expect_valid("g2p-pronounce", "g2p pronounce -m " + dir + "/g2p.pt bead cafe --nbest 2");

  expect_valid("seq2seq-train", "seq2seq train --train " + dir +
                                    "/train.tsv --source-tokens chars --target-tokens words -o " +
                                    dir + "/s2s.pt" + kSmall);
  expect_valid("seq2seq-translate",
               "seq2seq translate -m " + dir + "/s2s.pt --input " + dir + "/in.txt");
  expect_valid("seq2seq-eval", "seq2seq eval -m " + dir + "/s2s.pt --test " + dir + "/train.tsv");

  // Documents fall into train, dev and held-out by their hash: they must differ.
  const char* const lines[] = {"床前明月光", "疑是地上霜", "举头望明月", "低头思故乡"};
  std::mt19937_64 rng(1);
  std::string poems;
  for (int p = 0; p < 60; ++p) {
    for (int l = 0; l < 4; ++l) poems += std::string(lines[rng() % 4]) + (l % 2 ? "。\n" : "，");
    poems += "%\n";
  }
  write(dir + "/poems", poems);
  expect_valid("lm-train", "lm train --text " + dir + "/poems -o " + dir +
                               "/poems.lm --embedding 8 --hidden 16 --layers 1 --epochs 2");
  expect_valid("lm-eval", "lm eval -m " + dir + "/poems.lm --text " + dir + "/poems --baselines");
  expect_valid("lm-generate", "lm generate -m " + dir + "/poems.lm --prompt 床 --max-tokens 8");

  write_synthetic_idx(dir + "/data", 200, 40);
  const std::string data = " --data idx:" + dir + "/data";
  expect_valid("caption-train", "caption train" + data +
                                    " --scenes 40 --dev-scenes 8 --test-scenes 8 --items 2 "
                                    "--canvas 64x32 --features 8 --embedding 8 --hidden 16 "
                                    "--epochs 1 -o " +
                                    dir + "/cap.pt");
  expect_valid("caption-eval", "caption eval -m " + dir + "/cap.pt" + data + " --scenes 8");
  expect_valid("caption-describe", "caption describe -m " + dir + "/cap.pt" + data +
                                       " --scene 1 --html " + dir + "/scene.html");
  EXPECT_NE(read_text(dir + "/scene.html").find("<section id=\"provenance\">"), std::string::npos);
}

TEST(JsonSchemas, TheCheckRefusesMissingWrongAndUndocumentedKeys) {
  const auto dir = scratch_dir("json_schema_refusals");
  write_synthetic_idx(dir + "/data", 20, 10);
  const auto good = expect_valid(
      "export-images", "export-images --count 3 --data idx:" + dir + "/data -o " + dir + "/images");
  ASSERT_TRUE(good.is_object());
  auto missing = good;
  missing.erase("images");
  auto wrong = good;
  wrong["images"] = "3";
  auto undocumented = good;
  undocumented["bogus"] = 1;
  auto no_provenance = good;
  no_provenance.erase("provenance");
  auto no_precision = good;
  no_precision["provenance"].erase("precision");
  auto extra_provenance = good;
  extra_provenance["provenance"]["bogus"] = 1;
  auto threads_text = good;
  threads_text["provenance"]["threads"] = "2";
  for (const auto& bad : {missing, wrong, undocumented, no_provenance, no_precision,
                          extra_provenance, threads_text}) {
    const auto verdict = check("export-images", bad);
    EXPECT_EQ(verdict.exit_code, 1) << bad.dump() << "\n" << verdict.out;
    EXPECT_NE(verdict.out.find(": "), std::string::npos) << verdict.out;
  }
}

TEST(JsonSchemas, EveryCommandHasASchemaAndADocumentedSection) {
  CLI::App app{"nnlab"};
  app::GlobalOptions global;
  app::setup_command_line(app, global);
  const auto doc = read_text(kSource + "/docs/JSON.md");
  std::set<std::string> schemas;
  for (const auto& entry : fs::directory_iterator(kSource + "/docs/schemas"))
    schemas.insert(entry.path().stem().string());
  std::set<std::string> documented = {"provenance", "attack-metrics"};
  for (const auto& command : leaf_commands(app, "")) {
    EXPECT_NE(doc.find("\n## nnlab " + command + "\n"), std::string::npos)
        << "docs/JSON.md has no section '## nnlab " << command << "'";
    if (command == "launch") continue;  // prints what its workers print
    std::string name = command;
    std::replace(name.begin(), name.end(), ' ', '-');
    documented.insert(name);
    ASSERT_TRUE(schemas.count(name)) << "no docs/schemas/" << name << ".json";
    // Every result carries the version and the one provenance block.
    const auto schema = nlohmann::json::parse(read_text(schema_path(name)));
    const auto& required = schema["required"];
    EXPECT_NE(std::find(required.begin(), required.end(), "format_version"), required.end())
        << name;
    EXPECT_NE(std::find(required.begin(), required.end(), "provenance"), required.end()) << name;
    EXPECT_EQ(schema["properties"]["provenance"]["$ref"], "provenance.json") << name;
    EXPECT_EQ(schema["additionalProperties"], false) << name;
  }
  for (const auto& name : schemas)
    EXPECT_TRUE(documented.count(name)) << name << " documents no command";
  EXPECT_NE(doc.find("\n## The provenance block\n"), std::string::npos);
}

}  // namespace nnlab::testing
