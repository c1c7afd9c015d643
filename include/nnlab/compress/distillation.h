// Knowledge distillation (Hinton, Vinyals & Dean 2015, "Distilling the knowledge in a neural
// network"): the student learns the teacher's softened outputs as well as the labels,
//   loss = alpha * T^2 * KL(softmax(z_t / T) || softmax(z_s / T)) + (1 - alpha) * CE(z_s, y).
// T^2 keeps the soft term's gradients on the scale of the hard term's as T grows. The teacher
// is any Classifier (zoo checkpoint, .pth, TorchScript) on the student's inputs, run in eval mode
// without gradients.
#pragma once

#include <torch/types.h>

#include "nnlab/models/classifier.h"
#include "nnlab/train/trainer.h"

namespace nnlab::compress {

struct DistillationOptions {
  double temperature = 4.0;
  double alpha = 0.9;  // weight of the soft (teacher) term
};

// The loss above, averaged over the batch.
torch::Tensor distillation_loss(const torch::Tensor& student_logits,
                                const torch::Tensor& teacher_logits, const torch::Tensor& labels,
                                const DistillationOptions& options);

class Distillation {
 public:
  // Throws core::OptionError for T <= 0 or alpha outside [0, 1].
  Distillation(models::Classifier teacher, DistillationOptions options);
  // Runs the teacher once over the training images and keeps its logits, so that later epochs
  // look them up by row instead of running the teacher again. Only for training data the
  // trainer does not change (no augmentation, no adversarial batches).
  void cache_teacher_logits(const torch::Tensor& train_images, std::int64_t batch_size = 256);
  // The trainer's loss hook (and, with a cache, before_batch to learn each batch's rows).
  train::TrainHooks hooks();

 private:
  models::Classifier teacher_;
  DistillationOptions options_;
  torch::Tensor cached_logits_;  // (N, classes) on the CPU, or undefined
  torch::Tensor batch_index_;
};

}  // namespace nnlab::compress
