#include "nnlab/compress/distillation.h"

#include <torch/torch.h>

#include <utility>

#include "nnlab/core/error.h"
#include "nnlab/train/evaluate.h"
#include "nnlab/train/temperature.h"

namespace nnlab::compress {

namespace F = torch::nn::functional;

torch::Tensor distillation_loss(const torch::Tensor& student_logits,
                                const torch::Tensor& teacher_logits, const torch::Tensor& labels,
                                const DistillationOptions& options) {
  TORCH_CHECK(student_logits.sizes() == teacher_logits.sizes(), "distillation: student logits ",
              student_logits.sizes(), " and teacher logits ", teacher_logits.sizes(), " differ");
  const double t = options.temperature;
  const auto soft = F::kl_div(train::temperature_log_softmax(student_logits, t, 1),
                              train::temperature_log_softmax(teacher_logits.detach(), t, 1).exp(),
                              F::KLDivFuncOptions().reduction(torch::kBatchMean));
  const auto hard = F::cross_entropy(student_logits, labels);
  return options.alpha * t * t * soft + (1.0 - options.alpha) * hard;
}

Distillation::Distillation(models::Classifier teacher, DistillationOptions options)
    : teacher_(std::move(teacher)), options_(options) {
  if (!(options_.temperature > 0))
    throw core::OptionError("DistillationOptions.temperature",
                            "must be > 0, got " + core::number_text(options_.temperature));
  if (!(options_.alpha >= 0 && options_.alpha <= 1)) {
    throw core::OptionError("DistillationOptions.alpha",
                            "must be in [0, 1], got " + core::number_text(options_.alpha));
  }
  teacher_.eval();
}

void Distillation::cache_teacher_logits(const torch::Tensor& train_images,
                                        std::int64_t batch_size) {
  cached_logits_ = train::predict_logits(teacher_, train_images, batch_size);
}

train::TrainHooks Distillation::hooks() {
  train::TrainHooks hooks;
  if (cached_logits_.defined()) {
    hooks.before_batch = [this](const torch::Tensor& index) { batch_index_ = index; };
  }
  hooks.loss = [this](const torch::Tensor& logits, const torch::Tensor& labels,
                      const torch::Tensor& images) {
    torch::Tensor teacher_logits;
    if (cached_logits_.defined()) {
      TORCH_CHECK(batch_index_.defined() && batch_index_.numel() == logits.size(0),
                  "distillation: cached teacher logits need the batch's rows (before_batch)");
      teacher_logits =
          cached_logits_.index_select(0, batch_index_.to(torch::kCPU)).to(logits.device());
    } else {
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
