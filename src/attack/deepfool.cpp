#include "nnlab/attack/deepfool.h"

#include <torch/torch.h>

#include <algorithm>
#include <limits>
#include <utility>

#include "nnlab/attack/objective.h"
#include "nnlab/attack/pixel_grid.h"
#include "nnlab/core/error.h"

namespace nnlab::attack {

DeepFool::DeepFool(AttackOptions options, DeepFoolOptions deepfool)
    : BatchedAttack(std::move(options)), deepfool_(deepfool) {
  if (options_.targeted) {
    throw core::OptionError("AttackOptions.targeted", "deepfool is an untargeted attack");
  }
  require_at_least("DeepFoolOptions.candidates", deepfool_.candidates, 2);
  require_at_least("DeepFoolOptions.overshoot", deepfool_.overshoot, 0);
  require_at_least("DeepFoolOptions.steps", deepfool_.steps, 1);
}

AttackResult DeepFool::attack_batch(models::Classifier& model, const torch::Tensor& images,
                                    const torch::Tensor& labels) {
  const bool round = options_.round_to_8bit;
  const auto saved_of = [round](const torch::Tensor& x) { return round ? quantize_8bit(x) : x; };
  std::vector<std::int64_t> per_image(images.dim(), 1);

  auto saved = saved_of(images).clone();  // written in place below; images is the caller's
  auto done = is_adversarial(logits_of(model, saved), labels, /*targeted=*/false);
  // Candidates: the classes the clean image is closest to, the true one excluded.
  const auto clean_logits = logits_of(model, images);
  const auto own = torch::one_hot(labels, clean_logits.size(1)).to(torch::kBool);
  const auto num_others = std::min<std::int64_t>(deepfool_.candidates, clean_logits.size(1)) - 1;
  const auto others =
      std::get<1>(clean_logits.masked_fill(own, -std::numeric_limits<double>::infinity())
                      .topk(num_others, /*dim=*/1));
  auto total = torch::zeros_like(images);  // sum of the steps r_i

  for (int step = 0; step < deepfool_.steps; ++step) {
    const auto active = done.logical_not().nonzero().flatten();
    if (active.numel() == 0) break;
    const auto clean = images.index_select(0, active);
    const auto x = (clean + (1 + deepfool_.overshoot) * total.index_select(0, active))
                       .clamp(0, 1)
                       .detach()
                       .requires_grad_(true);
    const auto logits = model.forward(x);
    const auto reference = logits.gather(1, labels.index_select(0, active).unsqueeze(1));
    const auto candidates = others.index_select(0, active);

    // Per image, the linearized boundary nearest to x: one backward per candidate column.
    auto best_ratio =
        torch::full({active.numel()}, std::numeric_limits<double>::infinity(), images.options());
    auto best_f = torch::zeros_like(best_ratio);
    auto best_w = torch::zeros_like(clean);
    per_image[0] = active.numel();
    for (std::int64_t k = 0; k < num_others; ++k) {
      const auto f =
          (logits.gather(1, candidates.select(1, k).unsqueeze(1)) - reference).squeeze(1);
      const auto w = torch::autograd::grad({f.sum()}, {x}, /*grad_outputs=*/{},
                                           /*retain_graph=*/k + 1 < num_others)[0];
      const auto ratio = f.detach().abs() / per_image_norm(w, Norm::kL2).clamp_min(1e-12);
      const auto closer = ratio < best_ratio;
      best_ratio = torch::where(closer, ratio, best_ratio);
      best_f = torch::where(closer, f.detach(), best_f);
      best_w = torch::where(closer.view(per_image), w, best_w);
    }
    // 1e-4 pushes just past a boundary the linearization reaches exactly.
    const auto scale =
        (best_f.abs() + 1e-4) / per_image_norm(best_w, Norm::kL2).pow(2).clamp_min(1e-12);
    const auto step_total = total.index_select(0, active) + scale.view(per_image) * best_w;
    total.index_copy_(0, active, step_total);

    const auto next = saved_of((clean + (1 + deepfool_.overshoot) * step_total).clamp(0, 1));
    saved.index_copy_(0, active, next);
    done.index_copy_(0, active,
                     is_adversarial(logits_of(model, next), labels.index_select(0, active),
                                    /*targeted=*/false));
  }
  return {saved, done, {}, {}};
}

}  // namespace nnlab::attack
