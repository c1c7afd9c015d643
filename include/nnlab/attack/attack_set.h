// Runs an attack over a whole labelled set in batches: only the images the model classifies
// correctly are attacked (the others are returned unchanged, distance 0), with a progress bar.
#pragma once

#include <torch/types.h>

#include "nnlab/attack/attack.h"
#include "nnlab/models/classifier.h"
#include "nnlab/train/process_group.h"

namespace nnlab::attack {

struct AttackSetOptions {
  std::int64_t batch_size = 64;
  bool skip_misclassified = true;
  bool progress = true;
  std::string label = "attack";
  // The model's logits on these clean images when known (from an earlier budget of a sweep):
  // no forward pass is spent on them again.
  torch::Tensor clean_logits;
  // The first image's key (Attack::set_image_keys): image i is keyed first_key + i, so that a
  // shard of a larger set draws what the whole set's run draws for the same images.
  std::int64_t first_key = 0;
  // Resuming after a kill: the run's progress (attack_progress.h) is saved to progress_file every
  // save_every seconds and removed when the run ends; a run that finds a progress file of its own
  // (progress_key, the images, the labels and the model match) goes on from it. Empty: nothing is
  // saved. Over a ProcessGroup each rank keeps its own file (".rank<R>-of-<W>" appended).
  std::string progress_file;
  std::string progress_key;
  double save_every = 60;
};

struct AttackSetResult {
  torch::Tensor adversarial;   // (N,C,H,W) on the CPU
  torch::Tensor clean_logits;  // (N, classes) on the CPU: the model on the clean images
  torch::Tensor stage;         // (N) int64 on the CPU, for an attack of several stages: the stage
                               // that broke each image (AttackResult::stage), -1 for none or
                               // an image not attacked; undefined for other attacks
  // (N) int64 on the CPU: the attack's model queries per image (AttackResult::queries), 0 for the
  // images not attacked; undefined when the attack does not count them (or attacked no image).
  torch::Tensor queries;
};

// images (N,C,H,W) [0,1] on the CPU; labels: true classes; targets: the target classes for a
// targeted attack (undefined otherwise). The clean logits come for free: skipping misclassified
// images needs them, and an attack that computes them itself (FGSM) runs on every image in one
// pass instead (its misclassified images are then put back), saving a forward pass per image.
AttackSetResult attack_set(Attack& attack, models::Classifier& model, const torch::Tensor& images,
                           const torch::Tensor& labels, const torch::Tensor& targets = {},
                           const AttackSetOptions& options = {});

// The same over the processes of a ProcessGroup: each rank attacks its contiguous share of the
// images, and every rank gets the whole result back (the shares are summed into zero-filled
// tensors: exact). Deterministic attacks (FGSM, I-FGSM, MI-FGSM, DeepFool, C&W) give what one
// process gives; attacks with a random start draw it on the rank that attacks the image.
AttackSetResult attack_set(Attack& attack, models::Classifier& model, const torch::Tensor& images,
                           const torch::Tensor& labels, const torch::Tensor& targets,
                           const AttackSetOptions& options, train::ProcessGroup& group);

}  // namespace nnlab::attack
