// Classifier: normalization in pixel space, both backends, PyTorch names, modes and devices.
#include "nnlab/models/classifier.h"

#include <gtest/gtest.h>
#include <torch/script.h>
#include <torch/torch.h>

namespace nnlab::models {

namespace {

ModelInfo info_with(std::vector<double> mean, std::vector<double> std) {
  ModelInfo info;
  info.arch = "test";
  info.in_channels = static_cast<std::int64_t>(mean.size());
  info.mean = std::move(mean);
  info.std = std::move(std);
  return info;
}

// A net with parameters and buffers at two levels.
struct TinyImpl : torch::nn::Module {
  TinyImpl()
      : fc(register_module("fc", torch::nn::Linear(4, 3))),
        bn(register_module("bn", torch::nn::BatchNorm1d(3))) {}
  torch::Tensor forward(torch::Tensor x) { return bn->forward(fc->forward(x)); }
  torch::nn::Linear fc;
  torch::nn::BatchNorm1d bn;
};
TORCH_MODULE(Tiny);

}  // namespace

TEST(Classifier, NormalizesPixelsBeforeTheNet) {
  // An identity net shows exactly what the net receives.
  Classifier model(torch::nn::AnyModule(torch::nn::Identity()),
                   info_with({0.485, 0.456, 0.406}, {0.229, 0.224, 0.225}));
  auto pixels = torch::zeros({1, 3, 1, 2});
  pixels[0][0][0][0] = 0.485;  // the mean: 0
  pixels[0][1][0][1] = 1.0;    // (1 - 0.456) / 0.224 = 2.428571...
  const auto out = model(pixels);
  EXPECT_NEAR(out[0][0][0][0].item<double>(), 0.0, 1e-6);
  EXPECT_NEAR(out[0][1][0][1].item<double>(), 2.4285714, 1e-5);
  EXPECT_NEAR(out[0][2][0][0].item<double>(), -0.406 / 0.225, 1e-5);
}

TEST(Classifier, WithoutMeanTheNetSeesRawPixels) {
  Classifier model(torch::nn::AnyModule(torch::nn::Identity()), info_with({}, {}));
  const auto pixels = torch::rand({2, 1, 4, 4});
  EXPECT_TRUE(torch::equal(model(pixels), pixels));
}

TEST(Classifier, RejectsInputsThatWouldBroadcastOverChannels) {
  Classifier model(torch::nn::AnyModule(torch::nn::Identity()),
                   info_with({0.5, 0.5, 0.5}, {0.5, 0.5, 0.5}));
  EXPECT_THROW(model(torch::rand({1, 1, 4, 4})), c10::Error);
  EXPECT_THROW(model(torch::rand({3, 4, 4})), c10::Error);
}

TEST(Classifier, RejectsInconsistentNormalization) {
  EXPECT_THROW(Classifier(torch::nn::AnyModule(torch::nn::Identity()), info_with({0.5}, {})),
               c10::Error);
  EXPECT_THROW(Classifier(torch::nn::AnyModule(torch::nn::Identity()), info_with({0.5}, {0.0})),
               c10::Error);
}

TEST(Classifier, NativeModuleExposesPyTorchNamesModesAndDevice) {
  Tiny net;
  Classifier model(torch::nn::AnyModule(net), info_with({}, {}));
  ASSERT_NE(model.module(), nullptr);
  EXPECT_FALSE(model.is_script());

  std::vector<std::string> names;
  for (const auto& [name, tensor] : model.named_parameters()) {
    names.push_back(name);
  }
  EXPECT_EQ(names, (std::vector<std::string>{"fc.weight", "fc.bias", "bn.weight", "bn.bias"}));
  names.clear();
  for (const auto& [name, tensor] : model.named_buffers()) {
    names.push_back(name);
  }
  EXPECT_EQ(names, (std::vector<std::string>{"bn.running_mean", "bn.running_var",
                                             "bn.num_batches_tracked"}));
  EXPECT_EQ(model.parameters().size(), 4u);

  model.eval();
  EXPECT_FALSE(model.is_training());
  EXPECT_FALSE(net->is_training());
  model.train();
  EXPECT_TRUE(net->is_training());

  EXPECT_EQ(model.device(), torch::Device(torch::kCPU));
  model.to(torch::kCPU);
  EXPECT_EQ(model(torch::rand({2, 4})).sizes(), (torch::IntArrayRef{2, 3}));
}

TEST(Classifier, TorchScriptModuleWorksTheSameWay) {
  torch::jit::Module inner("Inner");
  inner.register_parameter("weight", torch::full({1}, 2.0), /*is_buffer=*/false);
  inner.register_buffer("offset", torch::full({1}, 1.0));
  inner.define("def forward(self, x):\n  return x * self.weight + self.offset\n");
  torch::jit::Module outer("Outer");
  // torch.jit.script gives every module this attribute; train() and is_training() use it.
  for (auto* module : {&inner, &outer}) {
    module->register_attribute("training", c10::BoolType::get(), true);
  }
  outer.register_module("inner", inner);
  outer.define("def forward(self, x):\n  return self.inner.forward(x).flatten(1)\n");

  Classifier model(outer, info_with({0.5}, {0.25}));
  EXPECT_TRUE(model.is_script());
  EXPECT_EQ(model.module(), nullptr);
  ASSERT_EQ(model.named_parameters().size(), 1u);
  EXPECT_EQ(model.named_parameters()[0].first, "inner.weight");
  ASSERT_EQ(model.named_buffers().size(), 1u);
  EXPECT_EQ(model.named_buffers()[0].first, "inner.offset");
  EXPECT_EQ(model.parameters().size(), 1u);

  // (1 - 0.5) / 0.25 * 2 + 1 = 5.
  const auto out = model(torch::ones({1, 1, 1, 1}));
  EXPECT_NEAR(out.item<double>(), 5.0, 1e-6);

  model.eval();
  EXPECT_FALSE(model.is_training());
  model.train();
  EXPECT_TRUE(model.is_training());
  EXPECT_EQ(model.device(), torch::Device(torch::kCPU));
}

TEST(Classifier, CopiesShareTheNet) {
  Classifier model(torch::nn::AnyModule(torch::nn::Linear(2, 2)), info_with({}, {}));
  Classifier copy = model;
  copy.eval();
  EXPECT_FALSE(model.is_training());
  EXPECT_EQ(copy.module(), model.module());
}

}  // namespace nnlab::models
