// Parity with PyTorch: torchvision's models, saved by torch.save (make_reference.py), loaded
// with our reader into our zoo, must give torchvision's logits on the same pixels. This is
// what keeps the zoo's layouts, initialization-independent forward passes, the .pth reader
// (zip and legacy) and load_state_dict honest, in CI, every time.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <string>

#include "nnlab/core/error.h"
#include "nnlab/models/densenet.h"
#include "nnlab/models/pth_reader.h"
#include "nnlab/models/registry.h"
#include "nnlab/models/state_dict.h"

namespace nnlab::models {
namespace fs = std::filesystem;

namespace {

// Written by the ctest fixture parity.reference; NNLAB_PARITY_DIR in the environment wins.
fs::path reference_dir() {
  const char* dir = std::getenv("NNLAB_PARITY_DIR");
  return dir != nullptr ? fs::path(dir) : fs::path(NNLAB_PARITY_DIR);
}

fs::path reference_file(const std::string& name) {
  const auto path = reference_dir() / name;
  if (!fs::exists(path)) {
    throw std::runtime_error(path.string() +
                             ": missing; run `ctest -L parity`, whose fixture writes it");
  }
  return path;
}

torch::Tensor find(const TensorList& tensors, const std::string& name, const fs::path& file) {
  for (const auto& [key, tensor] : tensors) {
    if (key == name) {
      return tensor;
    }
  }
  throw std::runtime_error(file.string() + ": no entry '" + name + "'");
}

Classifier load(const std::string& arch, const fs::path& file) {
  auto tensors = read_pth(file.string());
  if (arch.rfind("densenet", 0) == 0) {
    tensors = remap_legacy_densenet_keys(std::move(tensors));
  }
  auto model = create_model(arch);
  load_state_dict(model, tensors, file.string());
  model.eval();
  return model;
}

struct ParityCase {
  std::string arch;
  std::string weights;  // file in the reference directory
};

// Names the case in test listings (and so in ctest's test names).
void PrintTo(const ParityCase& parity_case, std::ostream* out) {
  *out << parity_case.weights;
}

class Parity : public ::testing::TestWithParam<ParityCase> {};

}  // namespace

TEST_P(Parity, LogitsMatchTorchvision) {
  const auto& param = GetParam();
  const auto io_file = reference_file(param.arch + "_io.pth");
  const auto io = read_pth(io_file.string());
  const auto input = find(io, "input", io_file);
  const auto expected = find(io, "logits", io_file);
  ASSERT_EQ(input.sizes(), (torch::IntArrayRef{2, 3, 224, 224}));

  auto model = load(param.arch, reference_file(param.weights));
  torch::NoGradGuard no_grad;
  const auto logits = model(input);
  ASSERT_EQ(logits.sizes(), expected.sizes());
  const double scale = std::max(1.0, expected.abs().max().item<double>());
  const double diff = (logits - expected).abs().max().item<double>();
  EXPECT_LE(diff, 1e-4 * scale) << param.weights << ": max |logit| " << scale;
  // The classes agree too; they are what users see.
  EXPECT_TRUE(torch::equal(logits.argmax(1), expected.argmax(1)));
}

INSTANTIATE_TEST_SUITE_P(Torchvision, Parity,
                         ::testing::Values(ParityCase{"vgg16", "vgg16.pth"},
                                           ParityCase{"vgg19", "vgg19.pth"},
                                           ParityCase{"resnet50", "resnet50.pth"},
                                           ParityCase{"resnet50", "resnet50_legacy.pth"},
                                           ParityCase{"resnet101", "resnet101.pth"},
                                           ParityCase{"densenet121", "densenet121.pth"},
                                           ParityCase{"densenet121", "densenet121_legacy.pth"},
                                           ParityCase{"densenet169", "densenet169.pth"}),
                         [](const auto& info) {
                           return info.param.weights.substr(0, info.param.weights.find('.'));
                         });

TEST(Parity, WrongArchitectureIsRefusedWithTheMissingKeys) {
  const auto file = reference_file("resnet50.pth");
  const auto tensors = read_pth(file.string());
  auto model = create_model("resnet101");
  try {
    load_state_dict(model, tensors, file.string());
    FAIL() << "resnet50's weights loaded into resnet101";
  } catch (const core::FileError& e) {
    const std::string message = e.what();
    EXPECT_EQ(message.rfind(file.string(), 0), 0u) << message;
    EXPECT_NE(message.find("missing"), std::string::npos) << message;
    EXPECT_NE(message.find("layer3.6."), std::string::npos) << message;  // resnet50 stops at 5
  }
}

}  // namespace nnlab::models
