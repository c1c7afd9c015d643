#include "nnlab/models/classifier.h"

#include <torch/script.h>
#include <torch/torch.h>

#include <cmath>
#include <optional>
#include <tuple>
#include <utility>

#include "nnlab/core/autocast.h"

namespace nnlab::models {

// Exactly one of the three backends is set.
struct Classifier::Impl {
  std::optional<torch::nn::AnyModule> native;
  std::optional<torch::jit::Module> script;
  std::vector<Classifier> members;
  // Remembered so that device() has an answer for a model without parameters or buffers.
  torch::Device device = torch::kCPU;
  core::Precision precision = core::Precision::kFp32;
  bool channels_last = false;  // bf16 and the net has 4-D weights: its input goes channels-last
};

namespace {

// (1, C, 1, 1) so that it broadcasts over (N, C, H, W); undefined for no normalization.
std::pair<torch::Tensor, torch::Tensor> normalization(const ModelInfo& info) {
  TORCH_CHECK(info.mean.size() == info.std.size(), "Classifier '", info.arch, "': mean has ",
              info.mean.size(), " values but std has ", info.std.size());
  if (info.mean.empty()) {
    return {};
  }
  auto mean = torch::tensor(info.mean, torch::kFloat32).view({1, -1, 1, 1});
  auto stdev = torch::tensor(info.std, torch::kFloat32).view({1, -1, 1, 1});
  TORCH_CHECK((stdev > 0).all().item<bool>(), "Classifier '", info.arch,
              "': every std value must be positive");
  return {mean, stdev};
}

std::optional<torch::Device> first_device(const std::vector<torch::Tensor>& tensors) {
  for (const auto& tensor : tensors) {
    if (tensor.defined()) {
      return tensor.device();
    }
  }
  return std::nullopt;
}

}  // namespace

Classifier::Classifier(torch::nn::AnyModule net, ModelInfo info)
    : impl_(std::make_shared<Impl>()), info_(std::move(info)) {
  TORCH_CHECK(!net.is_empty(), "Classifier: the module is empty");
  impl_->native = std::move(net);
  std::tie(mean_, std_) = normalization(info_);
  const auto module = impl_->native->ptr();
  if (auto device = first_device(module->parameters())) {
    impl_->device = *device;
  } else if (auto buffer_device = first_device(module->buffers())) {
    impl_->device = *buffer_device;
  }
  to(impl_->device);
}

Classifier::Classifier(torch::jit::Module script, ModelInfo info)
    : impl_(std::make_shared<Impl>()), info_(std::move(info)) {
  impl_->script = std::move(script);
  std::tie(mean_, std_) = normalization(info_);
  std::vector<torch::Tensor> tensors;
  for (const auto& parameter : impl_->script->parameters()) {
    tensors.push_back(parameter);
  }
  for (const auto& buffer : impl_->script->buffers()) {
    tensors.push_back(buffer);
  }
  if (auto device = first_device(tensors)) {
    impl_->device = *device;
  }
  to(impl_->device);
}

Classifier::Classifier(std::shared_ptr<Impl> impl, ModelInfo info)
    : impl_(std::move(impl)), info_(std::move(info)) {}

Classifier Classifier::ensemble(std::vector<Classifier> members) {
  TORCH_CHECK(!members.empty(), "Classifier::ensemble: no members");
  const auto& first = members.front().info();
  ModelInfo info;
  info.num_classes = first.num_classes;
  info.in_channels = first.in_channels;
  info.height = first.height;
  info.width = first.width;
  for (const auto& member : members) {
    const auto& m = member.info();
    TORCH_CHECK(m.num_classes == first.num_classes && m.in_channels == first.in_channels &&
                    m.height == first.height && m.width == first.width,
                "Classifier::ensemble: '", m.arch, "' takes ", m.in_channels, "x", m.height, "x",
                m.width, " and has ", m.num_classes, " classes but '", first.arch, "' takes ",
                first.in_channels, "x", first.height, "x", first.width, " and has ",
                first.num_classes);
    info.arch += (info.arch.empty() ? "" : "+") + m.arch;
    if (info.class_names.empty()) info.class_names = m.class_names;
  }
  auto impl = std::make_shared<Impl>();
  impl->device = members.front().device();
  impl->members = std::move(members);
  return Classifier(std::move(impl), std::move(info));
}

const std::vector<Classifier>& Classifier::members() const {
  return impl_->members;
}

std::vector<torch::Tensor> Classifier::member_logits(const torch::Tensor& pixels) {
  if (impl_->members.empty()) return {forward(pixels)};
  std::vector<torch::Tensor> logits;
  for (auto& member : impl_->members) logits.push_back(member.forward(pixels));
  return logits;
}

torch::Tensor Classifier::combine_member_logits(const std::vector<torch::Tensor>& logits) {
  TORCH_CHECK(!logits.empty(), "Classifier::combine_member_logits: no logits");
  if (logits.size() == 1) return logits.front();
  // log mean_k softmax(z_k) = logsumexp_k log_softmax(z_k) - log K.
  std::vector<torch::Tensor> log_probs;
  for (const auto& z : logits) log_probs.push_back(z.log_softmax(1));
  return torch::stack(log_probs).logsumexp(/*dim=*/0) -
         std::log(static_cast<double>(log_probs.size()));
}

torch::Tensor Classifier::forward(const torch::Tensor& pixels) {
  if (!impl_->members.empty()) return combine_member_logits(member_logits(pixels));
  auto x = pixels;
  if (mean_.defined()) {
    // Broadcasting would silently turn a 1-channel batch into a 3-channel one: check first.
    TORCH_CHECK(x.dim() == 4 && x.size(1) == mean_.size(1), "Classifier '", info_.arch,
                "': expected (N, ", mean_.size(1), ", H, W) pixels, got ", x.sizes());
    // Copies of a Classifier share the net; one of them may have moved it since.
    if (mean_.device() != x.device()) {
      mean_ = mean_.to(x.device());
      std_ = std_.to(x.device());
    }
    x = (x - mean_) / std_;
  }
  const auto run = [this](const torch::Tensor& input) {
    if (impl_->native) return impl_->native->forward(input);
    return impl_->script->forward({input}).toTensor();
  };
  if (impl_->precision == core::Precision::kFp32) return run(x);
  const core::AutocastGuard autocast(impl_->precision, x.device().type());
  if (impl_->channels_last && x.dim() == 4) x = x.contiguous(torch::MemoryFormat::ChannelsLast);
  return run(x).to(torch::kFloat);
}

void Classifier::set_precision(core::Precision precision) {
  for (auto& member : impl_->members) member.set_precision(precision);
  impl_->precision = precision;
  const bool four_d = core::place_convolution_weights(precision, parameters());
  impl_->channels_last = precision == core::Precision::kBf16 && four_d;
}

core::Precision Classifier::precision() const {
  return impl_->precision;
}

void Classifier::to(const core::ExecutionContext& context) {
  to(context.device);
  set_precision(context.precision);
}

void Classifier::train(bool on) {
  for (auto& member : impl_->members) member.train(on);
  if (!impl_->members.empty()) return;
  if (impl_->native) {
    impl_->native->ptr()->train(on);
  } else {
    impl_->script->train(on);
  }
}

bool Classifier::is_training() const {
  if (!impl_->members.empty()) return impl_->members.front().is_training();
  return impl_->native ? impl_->native->ptr()->is_training() : impl_->script->is_training();
}

void Classifier::to(const torch::Device& device) {
  for (auto& member : impl_->members) member.to(device);
  if (impl_->native) {
    impl_->native->ptr()->to(device);
  } else if (impl_->script) {
    impl_->script->to(device);
  }
  impl_->device = device;
  if (mean_.defined()) {
    mean_ = mean_.to(device);
    std_ = std_.to(device);
  }
}

torch::Device Classifier::device() const {
  return impl_->device;
}

std::vector<torch::Tensor> Classifier::parameters() const {
  if (impl_->native) {
    return impl_->native->ptr()->parameters(/*recurse=*/true);
  }
  std::vector<torch::Tensor> result;
  for (const auto& member : impl_->members) {
    for (const auto& parameter : member.parameters()) result.push_back(parameter);
  }
  if (!impl_->script) return result;
  for (const auto& parameter : impl_->script->parameters()) {
    result.push_back(parameter);
  }
  return result;
}

std::vector<std::pair<std::string, torch::Tensor>> Classifier::named_parameters() const {
  std::vector<std::pair<std::string, torch::Tensor>> result;
  for (size_t i = 0; i < impl_->members.size(); ++i) {
    for (auto& [name, tensor] : impl_->members[i].named_parameters()) {
      result.emplace_back(std::to_string(i) + "." + name, tensor);
    }
  }
  if (impl_->native) {
    for (const auto& item : impl_->native->ptr()->named_parameters(/*recurse=*/true)) {
      result.emplace_back(item.key(), item.value());
    }
  } else if (impl_->script) {
    for (const auto& item : impl_->script->named_parameters(/*recurse=*/true)) {
      result.emplace_back(item.name, item.value);
    }
  }
  return result;
}

std::vector<std::pair<std::string, torch::Tensor>> Classifier::named_buffers() const {
  std::vector<std::pair<std::string, torch::Tensor>> result;
  for (size_t i = 0; i < impl_->members.size(); ++i) {
    for (auto& [name, tensor] : impl_->members[i].named_buffers()) {
      result.emplace_back(std::to_string(i) + "." + name, tensor);
    }
  }
  if (impl_->native) {
    for (const auto& item : impl_->native->ptr()->named_buffers(/*recurse=*/true)) {
      result.emplace_back(item.key(), item.value());
    }
  } else if (impl_->script) {
    for (const auto& item : impl_->script->named_buffers(/*recurse=*/true)) {
      result.emplace_back(item.name, item.value);
    }
  }
  return result;
}

std::shared_ptr<torch::nn::Module> Classifier::module() const {
  return impl_->native ? impl_->native->ptr() : nullptr;
}

bool Classifier::is_script() const {
  return impl_->script.has_value();
}

}  // namespace nnlab::models
