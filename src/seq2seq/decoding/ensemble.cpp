#include "nnlab/seq2seq/decoding/ensemble.h"

#include <torch/torch.h>

#include <cmath>

#include "nnlab/core/error.h"

namespace nnlab::seq2seq {

Ensemble::Ensemble(std::vector<std::shared_ptr<StepDecoder>> members)
    : members_(std::move(members)) {
  TORCH_CHECK(!members_.empty(), "an ensemble needs at least one model");
  for (const auto& m : members_) {
    TORCH_CHECK(m != nullptr, "an ensemble member is null");
    TORCH_CHECK(m->device() == members_.front()->device(),
                "the models of an ensemble must be on one device");
  }
}

DecodingState Ensemble::start(const torch::Tensor& source, const torch::Tensor& lengths) {
  DecodingState state;
  state.members.reserve(members_.size());
  for (const auto& m : members_) state.members.push_back(m->start(source, lengths));
  return state;
}

StepOutput Ensemble::step(const torch::Tensor& tokens, const DecodingState& state) {
  TORCH_CHECK(state.members.size() == members_.size(),
              "the state is not this ensemble's: ", state.members.size(), " members for ",
              members_.size(), " models");
  StepOutput out;
  std::vector<torch::Tensor> log_probs, attention;
  out.state.members.reserve(members_.size());
  for (std::size_t i = 0; i < members_.size(); ++i) {
    auto member = members_[i]->step(tokens, state.members[i]);
    log_probs.push_back(torch::log_softmax(member.logits.to(torch::kFloat), 1));
    if (member.attention.defined()) attention.push_back(member.attention);
    out.state.members.push_back(std::move(member.state));
  }
  const auto n = static_cast<double>(members_.size());
  // log((1/N) Σ p_m), computed in log space.
  out.logits = torch::logsumexp(torch::stack(log_probs), 0) - std::log(n);
  if (attention.size() == members_.size()) out.attention = torch::stack(attention).mean(0);
  return out;
}

void Ensemble::set_precision(core::Precision precision) {
  StepDecoder::set_precision(precision);
  for (auto& m : members_) m->set_precision(precision);
}

torch::Device Ensemble::device() const {
  return members_.front()->device();
}

ModelEnsemble load_model_ensemble(const std::vector<std::string>& paths, const std::string& task,
                                  torch::Device device) {
  if (paths.empty()) throw core::OptionError("load_model_ensemble.paths", "no model file given");
  ModelEnsemble ensemble;
  for (const auto& path : paths) {
    ensemble.models.push_back(load_sequence_model(path, task, device));
    const auto& model = ensemble.models.back();
    const auto& first = ensemble.first();
    if (model.source_vocabulary.to_json() != first.source_vocabulary.to_json() ||
        model.target_vocabulary.to_json() != first.target_vocabulary.to_json()) {
      throw core::FileError(path, "its vocabularies differ from " + paths.front() +
                                      "'s: the models of an ensemble must share them");
    }
    if (model.source_tokens != first.source_tokens || model.target_tokens != first.target_tokens) {
      throw core::FileError(path, "it tokenizes differently from " + paths.front() +
                                      ": the models of an ensemble must share the tokenization");
    }
  }
  if (ensemble.models.size() == 1) {
    ensemble.decoder = ensemble.models.front().model.ptr();
  } else {
    std::vector<std::shared_ptr<StepDecoder>> members;
    for (const auto& m : ensemble.models) members.push_back(m.model.ptr());
    ensemble.decoder = std::make_shared<Ensemble>(std::move(members));
  }
  return ensemble;
}

}  // namespace nnlab::seq2seq
