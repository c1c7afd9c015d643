#include "nnlab/attack/loss.h"

#include <torch/torch.h>

#include <limits>
#include <map>
#include <mutex>
#include <utility>

#include "nnlab/core/error.h"

namespace nnlab::attack {

namespace F = torch::nn::functional;

namespace {

// The largest logit other than column `exclude` of each row.
torch::Tensor max_other(const torch::Tensor& logits, const torch::Tensor& exclude) {
  const auto excluded =
      torch::zeros_like(logits, torch::kBool).scatter_(1, exclude.view({-1, 1}), true);
  return logits.masked_fill(excluded, -std::numeric_limits<double>::infinity()).amax(1);
}

torch::Tensor logit_of(const torch::Tensor& logits, const torch::Tensor& classes) {
  return logits.gather(1, classes.view({-1, 1})).squeeze(1);
}

std::map<std::string, LossEntry>& registry() {
  static std::map<std::string, LossEntry> losses = {
      {"ce",
       {"cross-entropy: CE(z, y); targeted -CE(z, t)",
        [](const torch::Tensor& logits, const torch::Tensor& labels, const torch::Tensor&) {
          return attack::cross_entropy_loss(logits, labels);
        },
        [](const torch::Tensor& logits, const torch::Tensor&, const torch::Tensor& targets) {
          return -attack::cross_entropy_loss(logits, targets);
        }}},
      {"dlr",
       {"Difference of Logits Ratio (Croce & Hein 2020), scale-invariant",
        [](const torch::Tensor& logits, const torch::Tensor& labels, const torch::Tensor&) {
          return dlr_loss(logits, labels);
        },
        [](const torch::Tensor& logits, const torch::Tensor& labels, const torch::Tensor& targets) {
          return targeted_dlr_loss(logits, labels, targets);
        }}},
      {"margin",
       {"C&W margin: max_{i!=y} z_i - z_y; targeted z_t - max_{i!=t} z_i",
        [](const torch::Tensor& logits, const torch::Tensor& labels, const torch::Tensor&) {
          return margin_loss(logits, labels);
        },
        [](const torch::Tensor& logits, const torch::Tensor&, const torch::Tensor& targets) {
          return targeted_margin_loss(logits, targets);
        }}},
  };
  return losses;
}

std::mutex& registry_mutex() {
  static std::mutex mutex;
  return mutex;
}

}  // namespace

torch::Tensor AttackLoss::operator()(const torch::Tensor& logits, const torch::Tensor& goals,
                                     const torch::Tensor& labels) const {
  if (!function_) {
    // The default loss without a registry lookup: untargeted or targeted cross-entropy.
    return targeted_ ? -attack::cross_entropy_loss(logits, goals)
                     : attack::cross_entropy_loss(logits, goals);
  }
  return targeted_ ? function_(logits, labels, goals) : function_(logits, goals, {});
}

void register_loss(const std::string& name, LossEntry entry) {
  TORCH_CHECK(!name.empty() && entry.untargeted && entry.targeted,
              "register_loss: a loss needs a name and both forms");
  std::lock_guard<std::mutex> lock(registry_mutex());
  registry()[name] = std::move(entry);
}

AttackLoss make_loss(const std::string& name, bool targeted) {
  std::lock_guard<std::mutex> lock(registry_mutex());
  const auto found = registry().find(name);
  if (found == registry().end()) {
    std::string known;
    for (const auto& [key, entry] : registry()) known += (known.empty() ? "" : ", ") + key;
    throw core::OptionError("AttackOptions.loss", "unknown loss '" + name + "'; known: " + known);
  }
  return {name, targeted, targeted ? found->second.targeted : found->second.untargeted};
}

std::vector<std::string> loss_names() {
  std::lock_guard<std::mutex> lock(registry_mutex());
  std::vector<std::string> names;
  for (const auto& [key, entry] : registry()) names.push_back(key);
  return names;
}

std::string loss_help(const std::string& name) {
  std::lock_guard<std::mutex> lock(registry_mutex());
  const auto found = registry().find(name);
  return found == registry().end() ? "" : found->second.help;
}

torch::Tensor cross_entropy_loss(const torch::Tensor& logits, const torch::Tensor& labels) {
  return F::cross_entropy(logits, labels, F::CrossEntropyFuncOptions().reduction(torch::kNone));
}

torch::Tensor dlr_loss(const torch::Tensor& logits, const torch::Tensor& labels) {
  TORCH_CHECK(logits.dim() == 2 && logits.size(1) >= 3, "dlr_loss: needs at least 3 classes, got ",
              logits.sizes());
  const auto sorted = std::get<0>(logits.sort(/*dim=*/1, /*descending=*/true));
  const auto scale = sorted.select(1, 0) - sorted.select(1, 2) + 1e-12;
  return -(logit_of(logits, labels) - max_other(logits, labels)) / scale;
}

torch::Tensor targeted_dlr_loss(const torch::Tensor& logits, const torch::Tensor& labels,
                                const torch::Tensor& targets) {
  TORCH_CHECK(labels.defined(), "targeted_dlr_loss: needs the true labels as well as the targets");
  TORCH_CHECK(logits.dim() == 2 && logits.size(1) >= 4,
              "targeted_dlr_loss: needs at least 4 classes, got ", logits.sizes());
  const auto sorted = std::get<0>(logits.sort(/*dim=*/1, /*descending=*/true));
  const auto scale = sorted.select(1, 0) - (sorted.select(1, 2) + sorted.select(1, 3)) / 2 + 1e-12;
  return -(logit_of(logits, labels) - logit_of(logits, targets)) / scale;
}

torch::Tensor margin_loss(const torch::Tensor& logits, const torch::Tensor& labels) {
  return max_other(logits, labels) - logit_of(logits, labels);
}

torch::Tensor targeted_margin_loss(const torch::Tensor& logits, const torch::Tensor& targets) {
  return logit_of(logits, targets) - max_other(logits, targets);
}

}  // namespace nnlab::attack
