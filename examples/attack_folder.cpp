// Attacks a folder of images with a model, using nothing but nnlab's public headers: what
// `nnlab attack --input DIR --output OUT` does, as a C++ user writes it.
//
//   attack_folder MODEL DIR OUT [METHOD [EPSILON]]
//
// MODEL: an nnlab checkpoint, a .pth state_dict of a zoo architecture or a TorchScript file.
// DIR: images/ and labels.csv (ImgId,TrueLabel), the layout of the NIPS-2017 adversarial task.
// OUT: where the adversarial PNGs, metrics.json and per_image.csv go.
// METHOD: any registered attack (fgsm, pgd, ...; default fgsm); EPSILON: 0-255 pixel units (8).
#include <cstdio>
#include <exception>
#include <string>

#include "nnlab/attack/folder_attack.h"
#include "nnlab/core/execution_context.h"
#include "nnlab/models/model_loader.h"

int main(int argc, char** argv) {
  if (argc < 4 || argc > 6) {
    std::fprintf(stderr, "usage: %s MODEL DIR OUT [METHOD [EPSILON]]\n", argv[0]);
    return 2;
  }
  try {
    // One execution context for the whole run: threads, seed (PGD's random start) and device.
    nnlab::core::RuntimeOptions runtime;
    runtime.seed = 1;
    const auto context = nnlab::core::init_execution_context(runtime);

    // The model on the CPU in eval mode; its input size is the size the images must have.
    nnlab::models::ModelSource source;
    source.path = argv[1];
    auto model = nnlab::models::load_model(source);
    model.to(context.device);

    nnlab::attack::FolderAttackOptions options;
    options.input = argv[2];
    options.sweep.output = argv[3];
    // The attack comes from the registry by name; its knobs are the AttackSettings fields.
    options.sweep.method = argc > 4 ? argv[4] : "fgsm";
    options.sweep.epsilons = {argc > 5 ? std::stod(argv[5]) : 8.0};
    options.sweep.attack.steps = 10;  // iterative attacks (PGD, I-FGSM, ...)
    options.sweep.attack.seed = context.seed;
    options.sweep.context = context;  // metrics.json says which build and machine made it
    options.sweep.progress = false;

    // Read the folder, attack, write every adversarial PNG, read the PNGs back and score them.
    const auto result = nnlab::attack::run_folder_attack(model, options);
    const auto& scores = result.sweep.runs.front().scores;
    std::printf("%s on %lld images of %s (%s)\n", options.sweep.method.c_str(),
                static_cast<long long>(scores.count), options.input.c_str(),
                model.info().arch.c_str());
    std::printf("clean accuracy: %.4f\n", scores.clean_accuracy);
    std::printf("adversarial accuracy: %.4f (epsilon %g/255, max Linf %.2f)\n",
                scores.adversarial_accuracy, options.sweep.epsilons.front(), scores.max_linf);
    return 0;
  } catch (const std::exception& e) {
    // nnlab throws exceptions that name the file or option at fault; it never exits by itself.
    std::fprintf(stderr, "attack_folder: %s\n", e.what());
    return 1;
  }
}
