// Classifier::set_precision: bf16 runs the net under autocast in channels-last memory and gives
// float32 logits close to fp32's; fp32 is bit for bit what it was before any bf16 run.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include "nnlab/core/autocast.h"
#include "nnlab/models/classifier.h"
#include "nnlab/models/registry.h"

namespace nnlab::models {

namespace {

// Two convolutions that record what they saw: the dtype and memory format of the first
// convolution's output and whether autocast was on.
struct ProbeImpl : torch::nn::Module {
  ProbeImpl()
      : conv1(register_module("conv1", torch::nn::Conv2d(torch::nn::Conv2dOptions(3, 8, 3)))),
        conv2(register_module("conv2", torch::nn::Conv2d(torch::nn::Conv2dOptions(8, 4, 3)))) {}
  torch::Tensor forward(torch::Tensor x) {
    input_channels_last = x.is_contiguous(torch::MemoryFormat::ChannelsLast);
    const auto hidden = torch::relu(conv1->forward(x));
    hidden_dtype = hidden.scalar_type();
    hidden_channels_last = hidden.is_contiguous(torch::MemoryFormat::ChannelsLast);
    autocast = core::autocast_bf16_active(x.device().type());
    return conv2->forward(hidden).mean({2, 3});
  }
  torch::nn::Conv2d conv1, conv2;
  bool input_channels_last = false;
  bool hidden_channels_last = false;
  bool autocast = false;
  torch::ScalarType hidden_dtype = torch::kFloat;
};
TORCH_MODULE(Probe);

ModelInfo probe_info() {
  ModelInfo info;
  info.arch = "probe";
  info.in_channels = 3;
  info.num_classes = 4;
  info.height = info.width = 8;
  info.mean = {0.5, 0.5, 0.5};
  info.std = {0.25, 0.25, 0.25};
  return info;
}

}  // namespace

TEST(ClassifierPrecision, Bf16RunsAutocastInChannelsLast) {
  torch::manual_seed(0);
  Probe probe;
  Classifier model(torch::nn::AnyModule(probe), probe_info());
  const auto pixels = torch::rand({2, 3, 8, 8});
  EXPECT_EQ(model.precision(), core::Precision::kFp32);
  const auto fp32 = model(pixels);
  EXPECT_FALSE(probe->autocast);
  EXPECT_EQ(probe->hidden_dtype, torch::kFloat);
  EXPECT_FALSE(probe->input_channels_last);

  model.set_precision(core::Precision::kBf16);
  EXPECT_EQ(model.precision(), core::Precision::kBf16);
  EXPECT_TRUE(probe->conv1->weight.is_contiguous(torch::MemoryFormat::ChannelsLast));
  EXPECT_EQ(probe->conv1->weight.scalar_type(), torch::kFloat);  // master weights stay float32
  const auto bf16 = model(pixels);
  EXPECT_TRUE(probe->autocast);
  EXPECT_EQ(probe->hidden_dtype, torch::kBFloat16);
  EXPECT_TRUE(probe->input_channels_last);
  EXPECT_TRUE(probe->hidden_channels_last);
  EXPECT_EQ(bf16.scalar_type(), torch::kFloat);           // logits float32 for the losses
  EXPECT_FALSE(core::autocast_bf16_active(torch::kCPU));  // only inside forward
  EXPECT_TRUE(torch::allclose(bf16, fp32, /*rtol=*/5e-2, /*atol=*/5e-2))
      << (bf16 - fp32).abs().max().item<double>();
  EXPECT_FALSE(torch::equal(bf16, fp32));  // it did run in bf16

  // Back to fp32: contiguous weights and exactly the first numbers.
  model.set_precision(core::Precision::kFp32);
  EXPECT_TRUE(probe->conv1->weight.is_contiguous());
  EXPECT_TRUE(torch::equal(model(pixels), fp32));
}

TEST(ClassifierPrecision, GradientsToThePixelsAreFloat32AndAgree) {
  torch::manual_seed(1);
  auto model = create_model("lenet5", {10, 0});
  model.eval();
  const auto pixels = torch::rand({4, 1, 28, 28});
  const auto labels = torch::tensor({0, 3, 5, 9}, torch::kLong);
  const auto gradient = [&] {
    auto x = pixels.clone().requires_grad_(true);
    torch::nn::functional::cross_entropy(model(x), labels).backward();
    return x.grad();
  };
  const auto fp32 = gradient();
  model.set_precision(core::Precision::kBf16);
  const auto bf16 = gradient();
  EXPECT_EQ(bf16.scalar_type(), torch::kFloat);
  // FGSM's step is the sign: bf16 agrees with fp32 on the sign of almost every pixel's gradient.
  const auto agree = (bf16.sign() == fp32.sign()).to(torch::kFloat).mean().item<double>();
  EXPECT_GT(agree, 0.9);
  const auto cosine = (bf16 * fp32).sum() / (bf16.norm() * fp32.norm());
  EXPECT_GT(cosine.item<double>(), 0.98);
}

TEST(ClassifierPrecision, TheContextPlacesDeviceAndPrecision) {
  auto model = create_model("lenet5", {10, 0});
  core::ExecutionContext context;
  context.precision = core::Precision::kBf16;
  model.to(context);
  EXPECT_EQ(model.precision(), core::Precision::kBf16);
  EXPECT_EQ(model.device(), torch::Device(torch::kCPU));
  // Copies share it, and an ensemble passes it to its members.
  auto copy = model;
  EXPECT_EQ(copy.precision(), core::Precision::kBf16);
  auto ensemble = Classifier::ensemble({model, create_model("lenet5", {10, 0})});
  ensemble.set_precision(core::Precision::kFp32);
  for (const auto& member : ensemble.members()) {
    EXPECT_EQ(member.precision(), core::Precision::kFp32);
  }
  EXPECT_EQ(ensemble(torch::rand({2, 1, 28, 28})).scalar_type(), torch::kFloat);
}

}  // namespace nnlab::models
