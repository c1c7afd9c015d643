#include "nnlab/attack/stage_scores.h"

#include <torch/torch.h>

namespace nnlab::attack {

namespace {

// Whether image i was classified correctly before the attack.
std::vector<bool> clean_correct(const AttackScores& scores) {
  std::vector<bool> correct;
  correct.reserve(scores.images.size());
  for (const auto& s : scores.images) correct.push_back(s.clean_prediction == s.label);
  return correct;
}

std::vector<std::int64_t> stages_of(const AttackScores& scores, const torch::Tensor& stage) {
  TORCH_CHECK(stage.dim() == 1 && stage.size(0) == static_cast<std::int64_t>(scores.images.size()),
              "stage_scores: ", stage.numel(), " stages for ", scores.images.size(), " images");
  const auto cpu = stage.to(torch::kCPU).to(torch::kLong).contiguous();
  return {cpu.data_ptr<std::int64_t>(), cpu.data_ptr<std::int64_t>() + cpu.numel()};
}

}  // namespace

nlohmann::json StageScore::to_json() const {
  return {{"attack", attack},
          {"broken", broken},
          {"robust_accuracy", robust_accuracy},
          {"seconds", seconds}};
}

std::vector<StageScore> stage_scores(const AttackScores& scores, const torch::Tensor& stage,
                                     const std::vector<std::string>& names,
                                     const std::vector<double>& seconds) {
  const auto stages = stages_of(scores, stage);
  const auto correct = clean_correct(scores);
  std::int64_t robust = 0;
  for (bool c : correct) robust += c;
  const auto n = static_cast<double>(std::max<size_t>(1, correct.size()));
  std::vector<StageScore> out;
  for (size_t k = 0; k < names.size(); ++k) {
    StageScore s;
    s.attack = names[k];
    for (size_t i = 0; i < stages.size(); ++i) {
      s.broken += correct[i] && stages[i] == static_cast<std::int64_t>(k);
    }
    robust -= s.broken;
    s.robust_accuracy = static_cast<double>(robust) / n;
    s.seconds = k < seconds.size() ? seconds[k] : 0;
    out.push_back(s);
  }
  return out;
}

void name_breaking_stages(AttackScores& scores, const torch::Tensor& stage,
                          const std::vector<std::string>& names) {
  const auto stages = stages_of(scores, stage);
  for (size_t i = 0; i < stages.size(); ++i) {
    auto& s = scores.images[i];
    const auto k = stages[i];
    TORCH_CHECK(k >= -1 && k < static_cast<std::int64_t>(names.size()), "stage_scores: stage ", k,
                " of image ", i, " is not one of the ", names.size(), " stages");
    s.broken_by = s.clean_prediction != s.label ? "clean"
                  : k < 0                       ? "none"
                                                : names[static_cast<size_t>(k)];
  }
}

}  // namespace nnlab::attack
