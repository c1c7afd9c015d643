// The model summary: hand-computed LeNet numbers, torchvision's published totals for ResNet-18
// and VGG-16, the same rows for a TorchScript model as for the native one, parameter
// attribution (each once, shared and unused ones too), the model left untouched, error paths.
#include "nnlab/models/summary.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cstdlib>
#include <filesystem>
#include <map>
#include <string>

#include "nnlab/core/error.h"
#include "nnlab/models/depthwise_savings.h"
#include "nnlab/models/model_loader.h"
#include "nnlab/models/registry.h"

namespace nnlab::models {
namespace fs = std::filesystem;

namespace {

const LayerSummary& layer(const ModelSummary& summary, const std::string& name) {
  for (const auto& row : summary.layers) {
    if (row.name == name) return row;
  }
  ADD_FAILURE() << "no layer " << name;
  static const LayerSummary none;
  return none;
}

std::vector<std::string> types(const ModelSummary& summary) {
  std::vector<std::string> result;
  for (const auto& row : summary.layers) result.push_back(row.type);
  return result;
}

// Every parameter of the model sits in exactly one row, and the rows add up to the total.
void expect_each_parameter_once(const Classifier& model, const ModelSummary& summary) {
  std::map<std::string, int> rows_per_parameter;
  std::int64_t in_rows = 0;
  for (const auto& row : summary.layers) {
    in_rows += row.parameters;
    for (const auto& name : row.parameter_names) ++rows_per_parameter[name];
  }
  EXPECT_TRUE(summary.unreached_parameters.empty());
  EXPECT_EQ(in_rows, summary.total_params);
  std::int64_t total = 0;
  const auto parameters = model.named_parameters();
  for (const auto& [name, tensor] : parameters) {
    EXPECT_EQ(rows_per_parameter[name], 1) << name;
    total += tensor.numel();
  }
  EXPECT_EQ(rows_per_parameter.size(), parameters.size());
  EXPECT_EQ(summary.total_params, total);
}

ModelInfo tiny_info(std::int64_t height, std::int64_t width) {
  ModelInfo info;
  info.arch = "tiny";
  info.in_channels = 1;
  info.height = height;
  info.width = width;
  return info;
}

// One Linear used, one never called.
struct UnusedHeadImpl : torch::nn::Module {
  UnusedHeadImpl()
      : used(register_module("used", torch::nn::Linear(4, 3))),
        unused(register_module("unused", torch::nn::Linear(4, 3))) {}
  torch::Tensor forward(torch::Tensor x) { return used->forward(x.flatten(/*start_dim=*/1)); }
  torch::nn::Linear used, unused;
};
TORCH_MODULE(UnusedHead);

// One Linear applied twice: shared weights.
struct TwiceImpl : torch::nn::Module {
  TwiceImpl() : fc(register_module("fc", torch::nn::Linear(4, 4))) {}
  torch::Tensor forward(torch::Tensor x) {
    return fc->forward(torch::relu(fc->forward(x.flatten(/*start_dim=*/1))));
  }
  torch::nn::Linear fc;
};
TORCH_MODULE(Twice);

// A Linear on a 4-D input: a matrix product and a separate bias add.
struct LastDimLinearImpl : torch::nn::Module {
  LastDimLinearImpl() : fc(register_module("fc", torch::nn::Linear(4, 5))) {}
  torch::Tensor forward(torch::Tensor x) { return fc->forward(x); }
  torch::nn::Linear fc;
};
TORCH_MODULE(LastDimLinear);

// A depthwise 3x3 convolution and a pointwise 1x1 one, without biases.
struct SeparableImpl : torch::nn::Module {
  SeparableImpl()
      : depthwise(register_module(
            "depthwise",
            torch::nn::Conv2d(torch::nn::Conv2dOptions(4, 4, 3).padding(1).groups(4).bias(false)))),
        pointwise(register_module(
            "pointwise", torch::nn::Conv2d(torch::nn::Conv2dOptions(4, 8, 1).bias(false)))) {}
  torch::Tensor forward(torch::Tensor x) { return pointwise->forward(depthwise->forward(x)); }
  torch::nn::Conv2d depthwise, pointwise;
};
TORCH_MODULE(Separable);

// Two transposed convolutions: the first one's input does not require grad.
struct UpsamplerImpl : torch::nn::Module {
  UpsamplerImpl()
      : up1(register_module("up1", torch::nn::ConvTranspose2d(
                                       torch::nn::ConvTranspose2dOptions(1, 2, 3).stride(2)))),
        up2(register_module("up2", torch::nn::ConvTranspose2d(
                                       torch::nn::ConvTranspose2dOptions(2, 3, 2).stride(2)))) {}
  torch::Tensor forward(torch::Tensor x) { return up2->forward(up1->forward(x)); }
  torch::nn::ConvTranspose2d up1, up2;
};
TORCH_MODULE(Upsampler);

bool have_python() {
  return std::string(NNLAB_TORCH_PYTHON).size() > 0;
}

}  // namespace

TEST(Summary, LeNet5HandComputed) {
  auto model = create_model("lenet5");
  const auto summary = summarize(model);
  EXPECT_EQ(summary.arch, "lenet5");
  EXPECT_EQ(summary.input_shape, (std::vector<std::int64_t>{1, 1, 28, 28}));

  const auto& conv1 = layer(summary, "conv1");
  EXPECT_EQ(conv1.type, "Conv2d");
  EXPECT_EQ(conv1.parameters, 6 * 1 * 5 * 5 + 6);
  EXPECT_EQ(conv1.output_shape, (std::vector<std::int64_t>{1, 6, 28, 28}));
  EXPECT_EQ(conv1.macs, 117600);  // 6*28*28 outputs, 1*5*5 products each
  EXPECT_EQ(conv1.parameter_names, (std::vector<std::string>{"conv1.weight", "conv1.bias"}));

  const auto& conv2 = layer(summary, "conv2");
  EXPECT_EQ(conv2.parameters, 2416);
  EXPECT_EQ(conv2.output_shape, (std::vector<std::int64_t>{1, 16, 10, 10}));
  EXPECT_EQ(conv2.macs, 240000);  // 16*10*10 outputs, 6*5*5 products each

  const auto& fc1 = layer(summary, "fc1");
  EXPECT_EQ(fc1.type, "Linear");
  EXPECT_EQ(fc1.parameters, 400 * 120 + 120);
  EXPECT_EQ(fc1.output_shape, (std::vector<std::int64_t>{1, 120}));
  EXPECT_EQ(fc1.macs, 48000);
  EXPECT_EQ(layer(summary, "fc2").parameters, 10164);
  EXPECT_EQ(layer(summary, "fc2").macs, 10080);
  EXPECT_EQ(layer(summary, "fc3").parameters, 850);
  EXPECT_EQ(layer(summary, "fc3").macs, 840);

  // Parameter-free layers are listed too, in forward order; the flatten is hidden.
  EXPECT_EQ(types(summary),
            (std::vector<std::string>{"Conv2d", "ReLU", "MaxPool2d", "Conv2d", "ReLU", "MaxPool2d",
                                      "Linear", "ReLU", "Linear", "ReLU", "Linear"}));
  EXPECT_EQ(summary.layers[1].name, "(relu)");
  EXPECT_EQ(summary.layers[2].name, "(maxpool2d)");
  EXPECT_EQ(summary.layers[2].output_shape, (std::vector<std::int64_t>{1, 6, 14, 14}));
  EXPECT_EQ(summary.layers[2].macs, 0);

  EXPECT_EQ(summary.total_params, 61706);
  EXPECT_EQ(summary.trainable_params, 61706);
  EXPECT_EQ(summary.total_macs, 416520);
  EXPECT_EQ(summary.param_bytes, 61706 * 4);  // no buffers
  expect_each_parameter_once(model, summary);
}

TEST(Summary, LeNet300) {
  auto model = create_model("lenet300");
  const auto summary = summarize(model);
  EXPECT_EQ(summary.total_params, 266610);
  EXPECT_EQ(summary.total_macs, 784 * 300 + 300 * 100 + 100 * 10);
  EXPECT_EQ(summary.total_macs, 266200);
  expect_each_parameter_once(model, summary);
}

TEST(Summary, ShapeOpsOnRequest) {
  auto model = create_model("lenet5");
  SummaryOptions options;
  options.show_shape_ops = true;
  const auto summary = summarize(model, options);
  ASSERT_EQ(summary.layers.size(), 12u);
  // The flatten between the last pooling and fc1; weight.t() stays part of the Linear rows.
  EXPECT_TRUE(summary.layers[6].type == "Reshape" || summary.layers[6].type == "View")
      << summary.layers[6].type;
  EXPECT_EQ(summary.layers[6].output_shape, (std::vector<std::int64_t>{1, 400}));
  EXPECT_EQ(summary.total_macs, 416520);
  expect_each_parameter_once(model, summary);
}

TEST(Summary, ResNet18MatchesTorchvision) {
  auto model = create_model("resnet18");
  const auto summary = summarize(model);
  EXPECT_EQ(summary.total_params, 11689512);
  // torchvision quotes 1.81 GFLOPS (multiply-adds); PyTorch forward hooks on torchvision's
  // resnet18 counting conv and linear MACs give exactly 1,814,073,344.
  EXPECT_NEAR(static_cast<double>(summary.total_macs), 1.814e9, 0.01 * 1.814e9);
  EXPECT_EQ(summary.total_macs, 1814073344);
  expect_each_parameter_once(model, summary);

  EXPECT_EQ(layer(summary, "conv1").output_shape, (std::vector<std::int64_t>{1, 64, 112, 112}));
  EXPECT_EQ(layer(summary, "conv1").macs, 64LL * 112 * 112 * 3 * 7 * 7);
  EXPECT_EQ(layer(summary, "bn1").type, "BatchNorm2d");
  EXPECT_EQ(layer(summary, "bn1").parameters, 128);
  EXPECT_EQ(layer(summary, "(maxpool2d)").output_shape, (std::vector<std::int64_t>{1, 64, 56, 56}));
  EXPECT_EQ(layer(summary, "layer2.0.downsample.0").type, "Conv2d");
  EXPECT_EQ(layer(summary, "layer1.0.(relu)").type, "ReLU");
  EXPECT_EQ(layer(summary, "fc").output_shape, (std::vector<std::int64_t>{1, 1000}));
  EXPECT_EQ(layer(summary, "fc").macs, 512 * 1000);
  int adds = 0;
  int pools = 0;
  for (const auto& row : summary.layers) {
    adds += row.type == "Add" ? 1 : 0;
    pools += row.type == "AdaptiveAvgPool2d" ? 1 : 0;
  }
  EXPECT_EQ(adds, 8);  // one residual addition per basic block
  EXPECT_EQ(pools, 1);
  // Buffers: each batch norm's running mean and variance plus num_batches_tracked.
  std::int64_t buffers = 0;
  for (const auto& [name, tensor] : model.named_buffers()) buffers += tensor.numel();
  EXPECT_EQ(summary.param_bytes, (11689512 + buffers) * 4);
}

TEST(Summary, Vgg16MatchesTorchvision) {
  auto model = create_model("vgg16");
  const auto summary = summarize(model);
  EXPECT_EQ(summary.total_params, 138357544);
  // torchvision quotes 15.47 GFLOPS (multiply-adds); PyTorch hooks give 15,470,264,320.
  EXPECT_NEAR(static_cast<double>(summary.total_macs), 15.47e9, 0.01 * 15.47e9);
  EXPECT_EQ(summary.total_macs, 15470264320);
  EXPECT_EQ(layer(summary, "features.0").macs, 64LL * 224 * 224 * 3 * 3 * 3);
  EXPECT_EQ(layer(summary, "classifier.0").parameters, 25088LL * 4096 + 4096);
  EXPECT_EQ(summary.layers[1].name, "features.(relu)");
  expect_each_parameter_once(model, summary);
}

TEST(Summary, DenseNetConcatenations) {
  auto model = create_model("densenet121");
  const auto summary = summarize(model, {/*in_channels=*/0, /*height=*/64, /*width=*/64});
  EXPECT_EQ(summary.input_shape, (std::vector<std::int64_t>{1, 3, 64, 64}));
  EXPECT_EQ(summary.total_params, 7978856);
  int cats = 0;
  for (const auto& row : summary.layers) cats += row.type == "Cat" ? 1 : 0;
  EXPECT_GE(cats, 58);  // one per dense layer at least
  expect_each_parameter_once(model, summary);
}

TEST(Summary, BatchNormCnn) {
  auto model = create_model("cnn");
  const auto summary = summarize(model);
  expect_each_parameter_once(model, summary);
  int norms = 0;
  for (const auto& row : summary.layers) norms += row.type == "BatchNorm2d" ? 1 : 0;
  EXPECT_EQ(norms, 4);
}

TEST(Summary, LeavesTheModelAsFound) {
  auto model = create_model("cnn");
  model.train();
  auto parameters = model.named_parameters();
  parameters.front().second.requires_grad_(false);
  std::vector<torch::Tensor> buffers_before;
  for (const auto& [name, tensor] : model.named_buffers()) buffers_before.push_back(tensor.clone());

  const auto summary = summarize(model);

  EXPECT_TRUE(model.is_training());
  EXPECT_FALSE(parameters.front().second.requires_grad());
  EXPECT_EQ(summary.trainable_params, summary.total_params - parameters.front().second.numel());
  std::size_t i = 0;
  for (const auto& [name, tensor] : model.named_buffers()) {
    EXPECT_TRUE(torch::equal(tensor, buffers_before[i++])) << name;
  }
  for (const auto& [name, tensor] : parameters) {
    EXPECT_FALSE(tensor.grad().defined()) << name;
  }
  // A frozen parameter is still found in the graph.
  expect_each_parameter_once(model, summary);
}

TEST(Summary, UnusedParametersCountInTotalsOnly) {
  Classifier model(torch::nn::AnyModule(UnusedHead()), tiny_info(2, 2));
  const auto summary = summarize(model);
  EXPECT_EQ(summary.total_params, 30);
  EXPECT_EQ(summary.unreached_parameters,
            (std::vector<std::string>{"unused.weight", "unused.bias"}));
  ASSERT_EQ(summary.layers.size(), 1u);
  EXPECT_EQ(summary.layers[0].name, "used");
  EXPECT_EQ(summary.layers[0].parameters, 15);
}

TEST(Summary, SharedWeightsCountOnceMacsTwice) {
  Classifier model(torch::nn::AnyModule(Twice()), tiny_info(2, 2));
  const auto summary = summarize(model);
  EXPECT_EQ(types(summary), (std::vector<std::string>{"Linear", "ReLU", "Linear"}));
  EXPECT_EQ(summary.layers[0].name, "fc");
  EXPECT_EQ(summary.layers[2].name, "fc");
  EXPECT_EQ(summary.layers[0].parameters, 20);
  EXPECT_EQ(summary.layers[2].parameters, 0);
  EXPECT_EQ(summary.total_params, 20);
  EXPECT_EQ(summary.total_macs, 2 * 16);
}

TEST(Summary, LinearOnFourDimensionsIsOneRow) {
  Classifier model(torch::nn::AnyModule(LastDimLinear()), tiny_info(2, 4));
  const auto summary = summarize(model);
  ASSERT_EQ(summary.layers.size(), 1u);
  EXPECT_EQ(summary.layers[0].name, "fc");
  EXPECT_EQ(summary.layers[0].type, "Linear");
  EXPECT_EQ(summary.layers[0].output_shape, (std::vector<std::int64_t>{1, 1, 2, 5}));
  EXPECT_EQ(summary.layers[0].parameters, 25);
  EXPECT_EQ(summary.layers[0].macs, 2 * 5 * 4);
}

TEST(Summary, DepthwiseSeparableModule) {
  ModelInfo info = tiny_info(5, 5);
  info.in_channels = 4;
  Classifier model(torch::nn::AnyModule(Separable()), info);
  const auto summary = summarize(model);
  ASSERT_EQ(summary.layers.size(), 2u);
  EXPECT_EQ(summary.layers[0].parameters, 3 * 3 * 4);
  EXPECT_EQ(summary.layers[0].macs, 4 * 5 * 5 * 3 * 3);  // one 3x3 filter per output
  EXPECT_EQ(summary.layers[1].parameters, 4 * 8);
  EXPECT_EQ(summary.layers[1].macs, 8 * 5 * 5 * 4);
  EXPECT_EQ(summary.total_params, depthwise_separable_params(3, 4, 8));
}

TEST(Summary, TransposedConvolutions) {
  Classifier model(torch::nn::AnyModule(Upsampler()), tiny_info(4, 4));
  const auto summary = summarize(model);
  ASSERT_EQ(summary.layers.size(), 2u);
  EXPECT_EQ(summary.layers[0].type, "ConvTranspose2d");
  EXPECT_EQ(summary.layers[0].output_shape, (std::vector<std::int64_t>{1, 2, 9, 9}));
  // Each input element is scattered over (C_out / groups) * kh * kw outputs.
  EXPECT_EQ(summary.layers[0].macs, 1 * 4 * 4 * 2 * 3 * 3);
  EXPECT_EQ(summary.layers[1].output_shape, (std::vector<std::int64_t>{1, 3, 18, 18}));
  EXPECT_EQ(summary.layers[1].macs, 2 * 9 * 9 * 3 * 2 * 2);
  expect_each_parameter_once(model, summary);
}

TEST(Summary, TorchScriptGivesTheSameRows) {
  if (!have_python()) GTEST_SKIP() << "no Python with torch and torchvision";
  const auto dir = fs::temp_directory_path() / "nnlab_summary_script";
  fs::remove_all(dir);
  fs::create_directories(dir);
  const auto path = (dir / "resnet18.pt").string();
  const std::string script =
      "import torch, torchvision; m = torchvision.models.resnet18(); m.eval(); "
      "torch.jit.script(m).save(\"" +
      path + "\")";
  ASSERT_EQ(std::system((std::string(NNLAB_TORCH_PYTHON) + " -c '" + script + "'").c_str()), 0);

  ModelSource source;
  source.path = path;
  source.height = 64;
  source.width = 64;
  auto scripted = load_model(source);
  ASSERT_TRUE(scripted.is_script());
  // Warm the graph executor, with gradients, so that it holds an optimized plan: the summary
  // must still see every op.
  for (int i = 0; i < 3; ++i) {
    scripted.forward(torch::zeros({1, 3, 64, 64}).requires_grad_(true)).sum().backward();
  }
  const auto from_script = summarize(scripted);
  auto native = create_model("resnet18");
  const auto from_native = summarize(native, {/*in_channels=*/0, /*height=*/64, /*width=*/64});

  EXPECT_EQ(from_script.total_params, 11689512);
  EXPECT_EQ(from_script.total_macs, from_native.total_macs);
  // torchvision runs a block's downsample after its main path, our ResNet before: compare the
  // layers by name, and the parameter-free ones by count.
  ASSERT_EQ(from_script.layers.size(), from_native.layers.size());
  std::map<std::string, int> type_counts;
  for (const auto& row : from_native.layers) {
    ++type_counts[row.type];
    if (row.parameter_names.empty()) continue;
    const auto& twin = layer(from_script, row.name);
    EXPECT_EQ(twin.type, row.type) << row.name;
    EXPECT_EQ(twin.output_shape, row.output_shape) << row.name;
    EXPECT_EQ(twin.parameters, row.parameters) << row.name;
    EXPECT_EQ(twin.macs, row.macs) << row.name;
  }
  for (const auto& row : from_script.layers) --type_counts[row.type];
  for (const auto& [type, count] : type_counts) EXPECT_EQ(count, 0) << type;
  expect_each_parameter_once(scripted, from_script);
  fs::remove_all(dir);
}

TEST(Summary, WrongInputSizeNamesModelAndShape) {
  auto model = create_model("lenet5");
  const bool training = model.is_training();
  try {
    summarize(model, {/*in_channels=*/0, /*height=*/32, /*width=*/32});
    FAIL() << "expected std::invalid_argument";
  } catch (const std::invalid_argument& error) {
    const std::string message = error.what();
    EXPECT_NE(message.find("lenet5"), std::string::npos) << message;
    EXPECT_NE(message.find("1x1x32x32"), std::string::npos) << message;
    EXPECT_EQ(message.find('\n'), std::string::npos) << message;
  }
  EXPECT_THROW(summarize(model, {/*in_channels=*/-1, /*height=*/0, /*width=*/0}),
               core::OptionError);
  // The failed pass left the model as it was.
  EXPECT_EQ(model.is_training(), training);
  EXPECT_EQ(summarize(model).total_macs, 416520);
}

}  // namespace nnlab::models
