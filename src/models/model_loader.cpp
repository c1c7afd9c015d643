#include "nnlab/models/model_loader.h"

#include <caffe2/serialize/inline_container.h>
#include <torch/script.h>
#include <torch/torch.h>

#include <filesystem>
#include <iostream>
#include <sstream>

#include "nnlab/core/error.h"
#include "nnlab/models/checkpoint.h"
#include "nnlab/models/densenet.h"
#include "nnlab/models/finite_weights.h"
#include "nnlab/models/pth_reader.h"
#include "nnlab/models/registry.h"
#include "nnlab/models/state_dict.h"

namespace nnlab::models {

namespace {

std::vector<double> parse_list(const std::string& text) {
  std::vector<double> out;
  std::stringstream in(text);
  std::string item;
  while (std::getline(in, item, ',')) out.push_back(std::stod(item));
  return out;
}

Classifier load_torchscript(const ModelSource& source) {
  torch::jit::Module module;
  try {
    module = torch::jit::load(source.path, torch::kCPU);
  } catch (const c10::Error& e) {
    throw core::FileError(
        source.path, "cannot load TorchScript module: " + e.msg().substr(0, e.msg().find('\n')));
  }
  TensorList weights;
  for (const auto& p : module.named_parameters()) weights.emplace_back(p.name, p.value);
  for (const auto& b : module.named_buffers()) weights.emplace_back(b.name, b.value);
  check_finite_weights(weights, source.path);
  ModelInfo info;
  info.arch = "torchscript";
  info.in_channels = source.in_channels;
  info.height = source.height;
  info.width = source.width;
  parse_normalization(source.normalize, info.mean, info.std);
  Classifier model(module, info);
  model.eval();
  // The number of classes is whatever the module outputs.
  torch::NoGradGuard no_grad;
  torch::Tensor out;
  try {
    out = model.forward(torch::zeros({1, info.in_channels, info.height, info.width}));
  } catch (const c10::Error& e) {
    throw core::FileError(
        source.path,
        "TorchScript module fails on a " + std::to_string(info.in_channels) + "x" +
            std::to_string(info.height) + "x" + std::to_string(info.width) +
            " input (set ModelSource.in_channels/ModelSource.height/ModelSource.width): " +
            e.msg().substr(0, e.msg().find('\n')));
  }
  if (out.dim() != 2)
    throw core::FileError(source.path, "TorchScript module does not return (N, classes) logits");
  model.info().num_classes = out.size(1);
  return model;
}

}  // namespace

void parse_normalization(const std::string& spec, std::vector<double>& mean,
                         std::vector<double>& std) {
  mean.clear();
  std.clear();
  if (spec == "none" || spec.empty()) return;
  if (spec == "imagenet") {
    mean = imagenet_mean();
    std = imagenet_std();
    return;
  }
  const auto slash = spec.find('/');
  try {
    if (slash == std::string::npos) throw std::invalid_argument("no '/'");
    mean = parse_list(spec.substr(0, slash));
    std = parse_list(spec.substr(slash + 1));
  } catch (const std::exception&) {
    throw core::OptionError("ModelSource.normalize",
                            "expected none, imagenet or MEAN,.../STD,..., got '" + spec + "'");
  }
  if (mean.size() != std.size() || mean.empty()) {
    throw core::OptionError("ModelSource.normalize",
                            "mean and std need the same number of channels");
  }
  for (double s : std) {
    if (!(s > 0))
      throw core::OptionError("ModelSource.normalize",
                              "std must be > 0, got " + core::number_text(s));
  }
}

ModelFileKind detect_model_file(const std::string& path) {
  if (!std::filesystem::exists(path)) throw core::FileError(path, "no such file");
  if (std::filesystem::is_directory(path))
    throw core::FileError(path, "is a directory, not a model file");
  if (!looks_like_pth(path)) {
    throw core::FileError(path,
                          "not a model file (expected an nnlab checkpoint, a torch.save state_dict "
                          "or a TorchScript module)");
  }
  std::ifstream probe(path, std::ios::binary);
  char magic[2] = {0, 0};
  probe.read(magic, 2);
  if (magic[0] != 'P') return ModelFileKind::kStateDict;  // legacy torch.save
  try {
    caffe2::serialize::PyTorchStreamReader reader(path);
    if (reader.hasRecord("constants.pkl") || reader.hasRecord("code/__torch__.py"))
      return ModelFileKind::kTorchScript;
  } catch (const c10::Error& e) {
    throw core::FileError(path, "damaged zip container: " + e.msg().substr(0, e.msg().find('\n')));
  }
  return ModelFileKind::kStateDict;  // a checkpoint is told apart after reading
}

Classifier load_model(const ModelSource& source) {
  const ModelFileKind kind = detect_model_file(source.path);
  if (kind == ModelFileKind::kTorchScript) return load_torchscript(source);
  const TensorList tensors = read_pth(source.path);
  if (is_checkpoint(tensors)) {
    const Checkpoint checkpoint = checkpoint_from_tensors(tensors, source.path);
    if (!source.arch.empty() && source.arch != checkpoint.info.arch) {
      throw core::FileError(source.path, "is a checkpoint of '" + checkpoint.info.arch +
                                             "', not of '" + source.arch + "' (ModelSource.arch)");
    }
    Classifier model = classifier_from_checkpoint(checkpoint, source.path);
    model.eval();
    return model;
  }
  if (source.arch.empty()) {
    throw core::OptionError("ModelSource.arch", "required to load the state_dict " + source.path +
                                                    " (it does not name its architecture)");
  }
  Classifier model = create_model(source.arch, {source.num_classes, 0});
  const bool densenet = source.arch.rfind("densenet", 0) == 0;
  load_state_dict(model, densenet ? remap_legacy_densenet_keys(tensors) : tensors, source.path);
  model.eval();
  return model;
}

}  // namespace nnlab::models
