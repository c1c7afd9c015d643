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
  // The trainer's loss hook.
  train::TrainHooks hooks();

 private:
  models::Classifier teacher_;
  DistillationOptions options_;
};

}  // namespace nnlab::compress
