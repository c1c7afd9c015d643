// The model zoo: every architecture builds, runs, has torchvision's parameter count and
// state_dict size, and the registry's defaults, overrides and errors.
#include "nnlab/models/registry.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cctype>

#include "nnlab/core/error.h"

namespace nnlab::models {

namespace {

struct ZooCase {
  std::string arch;
  std::int64_t parameters;      // sum(p.numel() for p in torchvision.models.<arch>().parameters())
  std::size_t state_dict_size;  // len(model.state_dict())
};

// The numbers from torchvision 0.14 (and the papers for LeNet).
const std::vector<ZooCase> kZoo = {
    {"lenet300", 266'610, 6},
    {"lenet5", 61'706, 10},
    {"lenet5-caffe", 431'080, 8},
    {"cnn", 870'826, 28},
    // MobileNet-style: 3x3 stem, five depthwise-separable blocks, linear (mobilenet.h).
    {"mobilenet", 136'202, 68},
    {"mobilenet-0.75", 78'730, 68},
    {"mobilenet-0.5", 36'874, 68},
    {"mobilenet-0.25", 10'634, 68},
    {"vgg11", 132'863'336, 22},
    {"vgg11_bn", 132'868'840, 62},
    {"vgg13", 133'047'848, 26},
    {"vgg13_bn", 133'053'736, 76},
    {"vgg16", 138'357'544, 32},
    {"vgg16_bn", 138'365'992, 97},
    {"vgg19", 143'667'240, 38},
    {"vgg19_bn", 143'678'248, 118},
    {"resnet18", 11'689'512, 122},
    {"resnet34", 21'797'672, 218},
    {"resnet50", 25'557'032, 320},
    {"resnet101", 44'549'160, 626},
    {"resnet152", 60'192'808, 932},
    {"densenet121", 7'978'856, 727},
    {"densenet161", 28'681'000, 967},
    {"densenet169", 14'149'480, 1015},
    {"densenet201", 20'013'928, 1207},
};

// Names the case in test listings (and so in ctest's test names).
void PrintTo(const ZooCase& zoo_case, std::ostream* out) {
  *out << zoo_case.arch;
}

class Zoo : public ::testing::TestWithParam<ZooCase> {};

}  // namespace

TEST_P(Zoo, BuildsRunsAndMatchesTorchvisionSize) {
  const auto& expected = GetParam();
  auto model = create_model(expected.arch);
  EXPECT_EQ(model.info().arch, expected.arch);

  std::int64_t parameters = 0;
  for (const auto& p : model.parameters()) {
    parameters += p.numel();
  }
  EXPECT_EQ(parameters, expected.parameters);
  EXPECT_EQ(model.named_parameters().size() + model.named_buffers().size(),
            expected.state_dict_size);

  // The ImageNet models pool adaptively, so a small image keeps the test fast.
  const auto& info = model.info();
  const auto side = info.height == 28 ? 28 : 64;
  model.eval();
  torch::NoGradGuard no_grad;
  const auto logits = model(torch::rand({2, info.in_channels, side, side}));
  EXPECT_EQ(logits.sizes(), (torch::IntArrayRef{2, info.num_classes}));
  EXPECT_TRUE(torch::isfinite(logits).all().item<bool>());
}

// Test names allow letters, digits and '_': "mobilenet-0.5" becomes "mobilenet_0_5".
INSTANTIATE_TEST_SUITE_P(Registry, Zoo, ::testing::ValuesIn(kZoo), [](const auto& info) {
  std::string name = info.param.arch;
  for (auto& c : name) {
    if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
  }
  return name;
});

TEST(Registry, ListsEveryArchitectureOnceInAStableOrder) {
  std::vector<std::string> names;
  for (const auto& entry : model_zoo()) {
    names.push_back(entry.name);
    EXPECT_FALSE(entry.description.empty()) << entry.name;
    EXPECT_EQ(entry.defaults.arch, entry.name);
  }
  ASSERT_EQ(names.size(), kZoo.size());
  for (std::size_t i = 0; i < kZoo.size(); ++i) {
    EXPECT_EQ(names[i], kZoo[i].arch);
  }
}

TEST(Registry, DefaultsPerDataset) {
  const auto& cnn = find_model("cnn").defaults;
  EXPECT_EQ(cnn.num_classes, 10);
  EXPECT_EQ(cnn.in_channels, 1);
  EXPECT_EQ(cnn.height, 28);
  EXPECT_EQ(cnn.width, 28);
  EXPECT_TRUE(cnn.mean.empty());
  EXPECT_TRUE(cnn.std.empty());

  const auto& resnet = find_model("resnet50").defaults;
  EXPECT_EQ(resnet.num_classes, 1000);
  EXPECT_EQ(resnet.in_channels, 3);
  EXPECT_EQ(resnet.height, 224);
  EXPECT_EQ(resnet.width, 224);
  EXPECT_EQ(resnet.mean, (std::vector<double>{0.485, 0.456, 0.406}));
  EXPECT_EQ(resnet.std, (std::vector<double>{0.229, 0.224, 0.225}));
  EXPECT_EQ(imagenet_mean(), resnet.mean);
  EXPECT_EQ(imagenet_std(), resnet.std);
}

TEST(Registry, ImagenetModelsNormalizeInsideTheClassifier) {
  const auto& entry = find_model("resnet18");
  auto net = entry.make(entry.defaults);
  Classifier model(net, entry.defaults);  // shares the net
  model.eval();
  torch::NoGradGuard no_grad;
  // A mid-gray image must reach the net as ((0.5 - mean) / std) per channel.
  const auto pixels = torch::full({1, 3, 32, 32}, 0.5);
  auto normalized = torch::empty_like(pixels);
  normalized[0][0] = (0.5 - 0.485) / 0.229;
  normalized[0][1] = (0.5 - 0.456) / 0.224;
  normalized[0][2] = (0.5 - 0.406) / 0.225;
  EXPECT_TRUE(torch::allclose(model(pixels), net.forward(normalized), /*rtol=*/1e-5,
                              /*atol=*/1e-5));
}

TEST(Registry, HonoursClassAndChannelOverrides) {
  auto model = create_model("resnet18", {/*num_classes=*/7, /*in_channels=*/1});
  EXPECT_EQ(model.info().num_classes, 7);
  EXPECT_EQ(model.info().in_channels, 1);
  // One channel: the average of ImageNet's three statistics.
  ASSERT_EQ(model.info().mean.size(), 1u);
  EXPECT_NEAR(model.info().mean[0], (0.485 + 0.456 + 0.406) / 3, 1e-12);
  EXPECT_NEAR(model.info().std[0], (0.229 + 0.224 + 0.225) / 3, 1e-12);
  model.eval();
  EXPECT_EQ(model(torch::rand({2, 1, 32, 32})).sizes(), (torch::IntArrayRef{2, 7}));

  auto lenet = create_model("lenet5", {/*num_classes=*/3, /*in_channels=*/0});
  EXPECT_EQ(lenet.info().in_channels, 1);
  EXPECT_EQ(lenet(torch::rand({2, 1, 28, 28})).sizes(), (torch::IntArrayRef{2, 3}));
}

TEST(Registry, UnknownArchitectureNamesTheOptionAndTheChoices) {
  try {
    find_model("alexnet");
    FAIL() << "expected an error";
  } catch (const core::OptionError& e) {
    const std::string message = e.what();
    EXPECT_EQ(message.rfind("find_model.arch: unknown architecture 'alexnet'; known: lenet300, "
                            "lenet5, lenet5-caffe, cnn, "
                            "mobilenet, ",
                            0),
              0u)
        << message;
    EXPECT_NE(message.find("densenet201"), std::string::npos) << message;
  }
  EXPECT_THROW(create_model("resnet"), core::OptionError);
}

TEST(Registry, RejectsNegativeOverrides) {
  EXPECT_THROW(create_model("lenet5", {/*num_classes=*/-1, /*in_channels=*/0}), core::OptionError);
  EXPECT_THROW(create_model("lenet5", {/*num_classes=*/0, /*in_channels=*/-2}), core::OptionError);
}

}  // namespace nnlab::models
