// The torch.save reader: both containers, written by PyTorch itself and by our legacy writer,
// and every way a file can be broken.
#include "nnlab/models/pth_reader.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "nnlab/core/atomic_file.h"
#include "nnlab/core/error.h"
#include "nnlab/models/pth_writer.h"

namespace nnlab::models {
namespace fs = std::filesystem;

namespace {

fs::path temp_dir(const std::string& name) {
  const auto dir = fs::temp_directory_path() / ("nnlab_pth_" + name);
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

torch::Tensor find(const TensorList& list, const std::string& name) {
  for (const auto& [n, t] : list) {
    if (n == name) return t;
  }
  ADD_FAILURE() << "no tensor " << name;
  return {};
}

bool have_python() {
  return std::string(NNLAB_TORCH_PYTHON).size() > 0;
}

int run_python(const std::string& script) {
  const std::string command = std::string(NNLAB_TORCH_PYTHON) + " -c '" + script + "'";
  return std::system(command.c_str());
}

}  // namespace

TEST(PthReader, LegacyWriterRoundTrip) {
  const auto dir = temp_dir("roundtrip");
  torch::manual_seed(0);
  TensorList in = {{"a.weight", torch::randn({3, 4})},
                   {"a.bias", torch::randn({4})},
                   {"bn.num_batches_tracked", torch::tensor(7, torch::kLong)},
                   {"mask", torch::randint(0, 2, {5}, torch::kByte)},
                   {"scalar", torch::tensor(2.5)},
                   {"transposed", torch::randn({4, 3}).t()}};
  const auto path = (dir / "x.pth").string();
  write_legacy_pth(path, in);
  EXPECT_TRUE(looks_like_pth(path));
  const auto out = read_pth(path);
  ASSERT_EQ(out.size(), in.size());
  for (size_t i = 0; i < in.size(); ++i) {
    EXPECT_EQ(out[i].first, in[i].first);
    EXPECT_TRUE(torch::equal(out[i].second, in[i].second)) << in[i].first;
    EXPECT_EQ(out[i].second.scalar_type(), in[i].second.scalar_type());
  }
}

TEST(PthReader, ReadsPyTorchZipAndLegacyFiles) {
  if (!have_python()) GTEST_SKIP() << "no Python with torch";
  const auto dir = temp_dir("python");
  // An OrderedDict state_dict with a shared storage (a view at an offset), a non-contiguous
  // tensor, half and int64 tensors, saved in both formats; and a nested checkpoint dict.
  const std::string script =
      "import torch, collections\n"
      "torch.manual_seed(1)\n"
      "base = torch.arange(24, dtype=torch.float32)\n"
      "sd = collections.OrderedDict()\n"
      "sd[\"w\"] = torch.randn(5, 3)\n"
      "sd[\"view\"] = base[6:18].view(3, 4)\n"
      "sd[\"base\"] = base\n"
      "sd[\"t\"] = torch.randn(3, 5).t()\n"
      "sd[\"h\"] = torch.randn(4).half()\n"
      "sd[\"n\"] = torch.tensor(11)\n"
      "d = \"" +
      dir.string() +
      "\"\n"
      "torch.save(sd, d + \"/zip.pth\")\n"
      "torch.save(sd, d + \"/legacy.pth\", _use_new_zipfile_serialization=False)\n"
      "torch.save({\"epoch\": 3, \"state_dict\": sd}, d + \"/nested.pth\")\n"
      "torch.save({k: v.contiguous() for k, v in sd.items()}, d + \"/ref.pth\")\n";
  std::ofstream(dir / "make.py") << script;
  ASSERT_EQ(
      std::system((std::string(NNLAB_TORCH_PYTHON) + " " + (dir / "make.py").string()).c_str()), 0);
  const auto ref = read_pth((dir / "ref.pth").string());
  for (const char* file : {"zip.pth", "legacy.pth", "nested.pth"}) {
    SCOPED_TRACE(file);
    const auto got = read_pth((dir / file).string());
    ASSERT_EQ(got.size(), 6u);
    EXPECT_EQ(got[0].first, "w");  // order kept
    for (const auto& [name, t] : ref) {
      const auto g = find(got, name);
      ASSERT_TRUE(g.defined());
      EXPECT_EQ(g.scalar_type(), t.scalar_type()) << name;
      EXPECT_TRUE(torch::equal(g, t)) << name;
    }
    EXPECT_EQ(find(got, "view")[0][0].item<float>(), 6.0f);
  }
}

TEST(PthReader, PyTorchReadsOurLegacyFiles) {
  if (!have_python()) GTEST_SKIP() << "no Python with torch";
  const auto dir = temp_dir("ours");
  const auto path = (dir / "ours.pth").string();
  write_legacy_pth(path, {{"x", torch::arange(6, torch::kFloat).view({2, 3})},
                          {"n", torch::tensor(5, torch::kLong)}});
  EXPECT_EQ(
      run_python(
          "import torch; sd = torch.load(\"" + path +
          "\"); assert list(sd) == [\"x\", \"n\"]; assert sd[\"x\"].tolist() == [[0,1,2],[3,4,5]]; "
          "assert sd[\"n\"].item() == 5"),
      0);
}

TEST(PthReader, EveryTruncationIsAnErrorNotACrash) {
  const auto dir = temp_dir("truncate");
  const auto good = (dir / "good.pth").string();
  write_legacy_pth(good, {{"w", torch::randn({2, 3})}, {"b", torch::randn({3})}});
  const std::string bytes = core::read_file(good);
  for (size_t n = 0; n < bytes.size(); ++n) {
    const auto path = (dir / "cut.pth").string();
    core::write_text_atomically(path, bytes.substr(0, n));
    try {
      read_pth(path);
      ADD_FAILURE() << "truncated at " << n << " was accepted";
    } catch (const core::FileError& e) {
      EXPECT_NE(std::string(e.what()).find(path), std::string::npos);
    }
  }
}

TEST(PthReader, FlippedBytesNeverCrash) {
  const auto dir = temp_dir("flip");
  const auto good = (dir / "good.pth").string();
  write_legacy_pth(good, {{"w", torch::randn({2, 3})}, {"b", torch::randn({3})}});
  const std::string bytes = core::read_file(good);
  const auto path = (dir / "bad.pth").string();
  int errors = 0;
  for (size_t i = 0; i < bytes.size(); ++i) {
    std::string bad = bytes;
    bad[i] = static_cast<char>(bad[i] ^ 0xff);
    core::write_text_atomically(path, bad);
    try {
      read_pth(path);  // a flip inside tensor data is legitimately readable
    } catch (const core::FileError&) {
      ++errors;
    }
  }
  EXPECT_GT(errors, 0);
}

TEST(PthReader, NotAPthFile) {
  const auto dir = temp_dir("notpth");
  const auto path = (dir / "image.png").string();
  core::write_text_atomically(path, "\x89PNG\r\n\x1a\n not a model");
  EXPECT_FALSE(looks_like_pth(path));
  try {
    read_pth(path);
    FAIL();
  } catch (const core::FileError& e) {
    EXPECT_NE(std::string(e.what()).find("not a torch.save file"), std::string::npos);
  }
  EXPECT_THROW(read_pth((dir / "missing.pth").string()), core::FileError);
  core::write_text_atomically(path, "");
  EXPECT_THROW(read_pth(path), core::FileError);
}

}  // namespace nnlab::models
