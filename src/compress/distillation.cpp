#include "nnlab/compress/distillation.h"

#include <torch/torch.h>

#include <utility>

#include "nnlab/core/error.h"

namespace nnlab::compress {

namespace F = torch::nn::functional;

torch::Tensor distillation_loss(const torch::Tensor& student_logits,
                                const torch::Tensor& teacher_logits, const torch::Tensor& labels,
                                const DistillationOptions& options) {
  TORCH_CHECK(student_logits.sizes() == teacher_logits.sizes(), "distillation: student logits ",
              student_logits.sizes(), " and teacher logits ", teacher_logits.sizes(), " differ");
  const double t = options.temperature;
  const auto soft = F::kl_div(F::log_softmax(student_logits / t, F::LogSoftmaxFuncOptions(1)),
                              F::softmax(teacher_logits.detach() / t, F::SoftmaxFuncOptions(1)),
                              F::KLDivFuncOptions().reduction(torch::kBatchMean));
  const auto hard = F::cross_entropy(student_logits, labels);
  return options.alpha * t * t * soft + (1.0 - options.alpha) * hard;
}

Distillation::Distillation(models::Classifier teacher, DistillationOptions options)
    : teacher_(std::move(teacher)), options_(options) {
  if (!(options_.temperature > 0)) throw core::OptionError("--temperature", "must be > 0");
  if (!(options_.alpha >= 0 && options_.alpha <= 1)) {
    throw core::OptionError("--alpha", "must be in [0, 1]");
  }
  teacher_.eval();
}

train::TrainHooks Distillation::hooks() {
  train::TrainHooks hooks;
  hooks.loss = [this](const torch::Tensor& logits, const torch::Tensor& labels,
                      const torch::Tensor& images) {
    torch::Tensor teacher_logits;
    {
      torch::NoGradGuard no_grad;
      teacher_logits = teacher_.forward(images.to(teacher_.device())).to(logits.device());
    }
    TORCH_CHECK(teacher_logits.size(1) == logits.size(1), "distillation: the teacher has ",
                teacher_logits.size(1), " classes but the student ", logits.size(1));
    return distillation_loss(logits, teacher_logits, labels, options_);
  };
  return hooks;
}

}  // namespace nnlab::compress
