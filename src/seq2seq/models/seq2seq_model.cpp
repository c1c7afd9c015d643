#include "nnlab/seq2seq/models/seq2seq_model.h"

#include <torch/torch.h>

#include "nnlab/core/autocast.h"
#include "nnlab/models/state_dict.h"

namespace nnlab::seq2seq {

Seq2SeqImpl::Seq2SeqImpl(const ModelOptions& options, std::int64_t source_vocabulary,
                         std::int64_t target_vocabulary)
    : options_(options) {
  options_.validate();
  encoder_ = register_module("encoder", Encoder(source_vocabulary, options_));
  decoder_ = register_module("decoder", Decoder(target_vocabulary, options_));
}

// One autocast scope per call (core/autocast.h): nested inside forward's, whose scope keeps the
// bf16 copies of the weights for every step of the pass.
DecodingState Seq2SeqImpl::start(const torch::Tensor& source, const torch::Tensor& lengths) {
  const core::AutocastGuard autocast(precision_, source.device().type());
  return decoder_->initial_state(encoder_(source, lengths));
}

StepOutput Seq2SeqImpl::step(const torch::Tensor& tokens, const DecodingState& state) {
  const core::AutocastGuard autocast(precision_, tokens.device().type());
  return float_outputs(decoder_->step(tokens, state));
}

torch::Device Seq2SeqImpl::device() const {
  return parameters().front().device();
}

std::int64_t Seq2SeqImpl::parameter_count() const {
  return models::parameter_count(*this);
}

SequenceOutput Seq2SeqImpl::forward(const Batch& batch, double teacher_forcing) {
  const core::AutocastGuard autocast(precision_, batch.source.device().type());
  return decode_teacher_forced(*this, start(batch.source, batch.source_lengths), batch.target_input,
                               teacher_forcing);
}

SequenceOutput decode_teacher_forced(StepDecoder& decoder, DecodingState state,
                                     const torch::Tensor& target_input, double teacher_forcing) {
  const auto steps = target_input.size(1);
  std::vector<torch::Tensor> logits, attention;
  logits.reserve(static_cast<std::size_t>(steps));
  attention.reserve(static_cast<std::size_t>(steps));
  const bool sampling = teacher_forcing < 1.0;
  for (std::int64_t t = 0; t < steps; ++t) {
    auto tokens = target_input.select(1, t);
    if (sampling && t > 0) {
      const auto own = logits.back().detach().argmax(1);
      const auto use_own =
          torch::rand({tokens.size(0)}, tokens.options().dtype(torch::kFloat)) >= teacher_forcing;
      tokens = torch::where(use_own, own, tokens);
    }
    auto out = decoder.step(tokens, state);
    logits.push_back(out.logits);
    attention.push_back(out.attention);
    state = std::move(out.state);
  }
  return {torch::stack(logits, 1), torch::stack(attention, 1)};
}

}  // namespace nnlab::seq2seq
