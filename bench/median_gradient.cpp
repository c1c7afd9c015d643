// Why BPDA's identity leaves median:3 above the undefended model (docs/BENCHMARKS.md, "Passive
// defenses"): the same attack through median:3 + LeNet-5 with the gradient taken two ways, (a)
// BPDA's straight-through identity (attack/defended_model.h, what --adaptive does) and (b) the
// median filter's own autograd gradient (torch's median sends each output's gradient to the
// window element it selected: exact almost everywhere, not an obfuscated gradient). Prints the
// defended model's accuracy on each attack's images.
//
//   bench_median_gradient MODEL.ckpt [METHOD=pgd] [STEPS=20] [IMAGES=1000] [THREADS=2]
#include <torch/torch.h>

#include <chrono>
#include <cstdio>
#include <string>

#include "nnlab/attack/attack_set.h"
#include "nnlab/attack/defended_model.h"
#include "nnlab/attack/registry.h"
#include "nnlab/data/data_spec.h"
#include "nnlab/data/image_io.h"
#include "nnlab/models/checkpoint.h"

namespace {

using nnlab::models::Classifier;

// model(median_filter(x, 3)), differentiated through the filter.
struct MedianNetImpl : torch::nn::Module {
  explicit MedianNetImpl(Classifier model) : model_(model) {
    register_module("model", model.module());
  }
  torch::Tensor forward(const torch::Tensor& x) {
    return model_.forward(nnlab::attack::median_filter(x, 3));
  }
  Classifier model_;
};
TORCH_MODULE(MedianNet);

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s MODEL.ckpt [METHOD] [STEPS] [IMAGES] [THREADS]\n", argv[0]);
    return 2;
  }
  const std::string method = argc > 2 ? argv[2] : "pgd";
  const int steps = argc > 3 ? std::stoi(argv[3]) : 20;
  const int images = argc > 4 ? std::stoi(argv[4]) : 1000;
  torch::set_num_threads(argc > 5 ? std::stoi(argv[5]) : 2);
  auto model =
      nnlab::models::classifier_from_checkpoint(nnlab::models::read_checkpoint(argv[1]), argv[1]);
  model.eval();
  auto set = nnlab::data::load_data("fashion-mnist").test.head(images);
  set.images = nnlab::data::quantize_to_8bit(set.images);
  const auto defense = nnlab::attack::parse_defense("median:3");
  auto info = model.info();
  info.mean.clear();  // the model normalizes after the filter
  info.std.clear();
  Classifier own(torch::nn::AnyModule(MedianNet(model)), info);
  own.eval();
  auto bpda = nnlab::attack::defended_model(model, defense);
  nnlab::attack::AttackSettings settings;
  settings.epsilon = 8 / 255.0;
  settings.steps = steps;
  for (auto* attacked : {&bpda, &own}) {
    auto attack = nnlab::attack::make_attack(method, settings);
    nnlab::attack::AttackSetOptions options;
    options.progress = false;
    const auto started = std::chrono::steady_clock::now();
    const auto adversarial = nnlab::data::quantize_to_8bit(
        nnlab::attack::attack_set(*attack, *attacked, set.images, set.labels, {}, options)
            .adversarial);
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    std::printf(
        "%s-%d eps 8, %d images, median:3, gradient %s: accuracy %.2f%% (%.1f s)\n", method.c_str(),
        steps, images, attacked == &bpda ? "BPDA identity" : "the median's own",
        100 * nnlab::attack::defended_accuracy(model, defense, adversarial, set.labels), seconds);
  }
  return 0;
}
