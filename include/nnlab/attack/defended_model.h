// The adaptive attacker of a passive defense (input_defense.h): the defense becomes part of the
// attacked model, model(defense(x)), so that every attack - gradient, minimum-norm or black-box -
// attacks defense + model unchanged, and its verdicts (early stop, success) are the defended
// model's.
//
// Gradients go through the defense by BPDA, the backward-pass differentiable approximation of
// Athalye, Carlini & Wagner, "Obfuscated Gradients Give a False Sense of Security: Circumventing
// Defenses to Adversarial Examples", ICML 2018 (section 4.1; reference code
// anishathalye/obfuscated-gradients), in its straight-through form, since every defense here
// keeps the image close to its input (defense(x) ~ x):
//   forward  defense(x)
//   backward identity          i.e.  x + (defense(x) - x).detach()
// so the gradient is the model's gradient at defense(x). Median filter, bit depth and JPEG have
// zero or no gradient of their own; Gaussian noise has the identity (up to the clamp) anyway.
// A random defense (noise:S) draws anew at every forward pass; Expectation over Transformation
// (EOT, the same paper, section 4.3) is then averaging gradients over draws: APGD's eot_iter
// (ApgdOptions) runs eot_iter forward/backward passes per step, each a new draw, and ascends
// their mean. ART (Trusted-AI/adversarial-robustness-toolbox) estimates the gradient through its
// FeatureSqueezing, SpatialSmoothing and JpegCompression preprocessors the same way (their
// estimate_gradient returns the gradient unchanged); torchattacks' EOT
// (Harry24k/adversarial-attacks-pytorch) averages eot_iter passes as APGD does here.
#pragma once

#include <torch/types.h>

#include "nnlab/attack/input_defense.h"
#include "nnlab/models/classifier.h"

namespace nnlab::attack {

// x + (defense(x) - x).detach(): defense(x) forward, the identity backward.
torch::Tensor bpda(const InputDefense& defense, const torch::Tensor& x);

// model(defense(x)) as a Classifier, the gradient through the defense by BPDA: a native module
// that holds the model (a zoo model's module registered inside it, so the parameters are the
// model's; a TorchScript model's device kept). It shares the model's modules: moving or
// switching the mode of the defended model moves or switches the model. Its info is the
// model's without mean and std (the model normalizes after the defense). An ensemble gives the
// ensemble of its defended members, so attacks still ascend the members' mean loss; a random
// defense then draws for each member.
models::Classifier defended_model(const models::Classifier& model, const InputDefense& defense);

}  // namespace nnlab::attack
