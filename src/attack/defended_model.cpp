#include "nnlab/attack/defended_model.h"

#include <torch/torch.h>

#include <utility>

#include "nnlab/core/autocast.h"

namespace nnlab::attack {

namespace {

// The defense and the model as one native module, so that a Classifier holds it: forward is
// model(bpda(x)), and mode and device changes are passed on to the model. A zoo model's module
// is registered inside, so its parameters and buffers are the defended model's.
class DefendedNetImpl : public torch::nn::Module {
 public:
  DefendedNetImpl(models::Classifier model, InputDefense defense)
      : model_(std::move(model)), defense_(std::move(defense)) {
    if (const auto module = model_.module()) {
      register_module("model", module);
    } else {
      // A TorchScript model has nothing to register: a marker tells the Classifier the device.
      register_buffer("device_marker", torch::empty({0}, torch::TensorOptions(model_.device())));
    }
    torch::nn::Module::train(model_.is_training());
  }

  torch::Tensor forward(const torch::Tensor& pixels) {
    // The defense is image arithmetic (median, bit depth, noise, JPEG): float32 even when this
    // module runs inside a bf16 autocast scope; the model's own precision then applies.
    const auto defended = [&] {
      const core::AutocastGuard fp32(core::Precision::kFp32, pixels.device().type());
      return bpda(defense_, pixels);
    }();
    return model_.forward(defended);
  }

  void train(bool on) override {
    torch::nn::Module::train(on);
    model_.train(on);
  }
  using torch::nn::Module::to;
  void to(torch::Device device, bool non_blocking) override {
    torch::nn::Module::to(device, non_blocking);
    model_.to(device);
  }

 private:
  models::Classifier model_;
  InputDefense defense_;
};

TORCH_MODULE(DefendedNet);

}  // namespace

torch::Tensor bpda(const InputDefense& defense, const torch::Tensor& x) {
  // The defense sees a detached copy: JPEG leaves torch, and no defense is differentiated.
  const auto defended = defense.apply(x.detach());
  TORCH_CHECK(defended.sizes() == x.sizes(), "bpda: defense '", defense.spec, "' changed ",
              x.sizes(), " into ", defended.sizes());
  return x + (defended.to(x.dtype()) - x).detach();
}

models::Classifier defended_model(const models::Classifier& model, const InputDefense& defense) {
  TORCH_CHECK(defense.apply, "defended_model: defense '", defense.spec, "' has no transform");
  if (!model.members().empty()) {
    // Each member behind the defense: the ensemble's own logits and its members' mean loss stay.
    std::vector<models::Classifier> members;
    for (const auto& member : model.members()) members.push_back(defended_model(member, defense));
    return models::Classifier::ensemble(std::move(members));
  }
  auto info = model.info();
  // The model normalizes its own input, after the defense.
  info.mean.clear();
  info.std.clear();
  return models::Classifier(torch::nn::AnyModule(DefendedNet(model, defense)), std::move(info));
}

}  // namespace nnlab::attack
