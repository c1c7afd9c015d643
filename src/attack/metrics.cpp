#include "nnlab/attack/metrics.h"

#include <torch/torch.h>

#include <algorithm>
#include <cstdio>

#include "nnlab/data/csv.h"
#include "nnlab/train/evaluate.h"

namespace nnlab::attack {

nlohmann::json AttackScores::to_json() const {
  return {{"images", count},
          {"clean_accuracy", clean_accuracy},
          {"adversarial_accuracy", adversarial_accuracy},
          {"success_rate", success_rate},
          {"mean_linf", mean_linf},
          {"max_linf", max_linf},
          {"mean_l2", mean_l2}};
}

std::string AttackScores::per_image_csv() const {
  auto number = [](double v) {
    char buffer[32];
    std::snprintf(buffer, sizeof(buffer), "%.6g", v);
    return std::string(buffer);
  };
  const bool staged = !images.empty() && !images.front().broken_by.empty();
  std::string out =
      "file,true_label,clean_prediction,adversarial_prediction,linf,l2,clean_true_probability,"
      "adversarial_true_probability";
  out += staged ? ",broken_by\n" : "\n";
  for (const auto& s : images) {
    std::vector<std::string> fields = {s.file,
                                       std::to_string(s.label),
                                       std::to_string(s.clean_prediction),
                                       std::to_string(s.adversarial_prediction),
                                       number(s.linf),
                                       number(s.l2),
                                       number(s.clean_true_probability),
                                       number(s.adversarial_true_probability)};
    if (staged) fields.push_back(s.broken_by);
    out += data::csv_line(fields) + "\n";
  }
  return out;
}

AttackScores score_attack(models::Classifier& model, const torch::Tensor& clean,
                          const torch::Tensor& adversarial, const torch::Tensor& labels,
                          const std::vector<std::string>& files, std::int64_t batch_size,
                          const torch::Tensor& clean_logits) {
  TORCH_CHECK(clean.sizes() == adversarial.sizes(), "score_attack: clean ", clean.sizes(),
              " and adversarial ", adversarial.sizes(), " differ in shape");
  TORCH_CHECK(labels.size(0) == clean.size(0), "score_attack: ", labels.size(0), " labels for ",
              clean.size(0), " images");
  const auto n = clean.size(0);
  TORCH_CHECK(!clean_logits.defined() || clean_logits.size(0) == n,
              "score_attack: clean logits for ", clean_logits.defined() ? clean_logits.size(0) : 0,
              " images, expected ", n);
  const auto clean_probs = torch::softmax(
      (clean_logits.defined() ? clean_logits : train::predict_logits(model, clean, batch_size))
          .to(torch::kCPU),
      1);
  const auto adv_probs =
      torch::softmax(train::predict_logits(model, adversarial, batch_size).to(torch::kCPU), 1);
  const auto labels_cpu = labels.to(torch::kCPU).to(torch::kLong).contiguous();
  // 8-bit images (what files hold) are compared in whole gray levels, so that a budget of 4 reads
  // 4 and not 4.00001 after float32 rounding; other images in exact double arithmetic (only the
  // difference is widened: no double copy of the images).
  // reshape, not view: images that came out of a bf16 model's gradient are channels-last
  // (Classifier::set_precision), and a channels-last batch has no (N, -1) view.
  const auto clean_cpu = clean.to(torch::kCPU).reshape({n, -1});
  const auto adv_cpu = adversarial.to(torch::kCPU).reshape({n, -1});
  auto on_grid = [](const torch::Tensor& x) {
    const auto l = x * 255.0f;
    return l.numel() == 0 || (l - l.round()).abs().max().item<double>() < 1e-3;
  };
  const auto delta =
      on_grid(clean_cpu) && on_grid(adv_cpu)
          ? ((adv_cpu * 255.0f).round() - (clean_cpu * 255.0f).round()).to(torch::kDouble)
          : (adv_cpu.to(torch::kDouble) - clean_cpu.to(torch::kDouble)) * 255.0;
  const auto linf = n > 0 ? delta.abs().amax(1).contiguous() : torch::zeros({0}, torch::kDouble);
  const auto l2 = delta.norm(2, 1).contiguous();
  const auto clean_pred = clean_probs.argmax(1).contiguous();
  const auto adv_pred = adv_probs.argmax(1).contiguous();
  const auto index = labels_cpu.unsqueeze(1);
  const auto clean_true = clean_probs.gather(1, index).squeeze(1).to(torch::kDouble).contiguous();
  const auto adv_true = adv_probs.gather(1, index).squeeze(1).to(torch::kDouble).contiguous();
  const auto label_at = labels_cpu.accessor<std::int64_t, 1>();
  const auto clean_pred_at = clean_pred.accessor<std::int64_t, 1>();
  const auto adv_pred_at = adv_pred.accessor<std::int64_t, 1>();
  const auto linf_at = linf.accessor<double, 1>();
  const auto l2_at = l2.accessor<double, 1>();
  const auto clean_true_at = clean_true.accessor<double, 1>();
  const auto adv_true_at = adv_true.accessor<double, 1>();

  AttackScores scores;
  scores.count = n;
  scores.images.reserve(static_cast<size_t>(n));
  std::int64_t clean_correct = 0, adv_correct = 0;
  double linf_sum = 0, l2_sum = 0;
  for (std::int64_t i = 0; i < n; ++i) {
    ImageScore s;
    s.file = i < static_cast<std::int64_t>(files.size()) ? files[static_cast<size_t>(i)]
                                                         : std::to_string(i);
    s.label = label_at[i];
    s.clean_prediction = clean_pred_at[i];
    s.adversarial_prediction = adv_pred_at[i];
    s.linf = linf_at[i];
    s.l2 = l2_at[i];
    s.clean_true_probability = clean_true_at[i];
    s.adversarial_true_probability = adv_true_at[i];
    clean_correct += s.clean_prediction == s.label;
    adv_correct += s.adversarial_prediction == s.label;
    linf_sum += s.linf;
    l2_sum += s.l2;
    scores.max_linf = std::max(scores.max_linf, s.linf);
    scores.images.push_back(s);
  }
  if (n > 0) {
    const auto count = static_cast<double>(n);
    scores.clean_accuracy = static_cast<double>(clean_correct) / count;
    scores.adversarial_accuracy = static_cast<double>(adv_correct) / count;
    scores.success_rate = 1.0 - scores.adversarial_accuracy;
    scores.mean_linf = linf_sum / count;
    scores.mean_l2 = l2_sum / count;
  }
  return scores;
}

}  // namespace nnlab::attack
