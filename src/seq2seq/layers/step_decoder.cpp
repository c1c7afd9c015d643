#include "nnlab/seq2seq/layers/step_decoder.h"

namespace nnlab::seq2seq {

StepOutput float_outputs(StepOutput out) {
  out.logits = out.logits.to(torch::kFloat);
  if (out.attention.defined()) out.attention = out.attention.to(torch::kFloat);
  return out;
}

}  // namespace nnlab::seq2seq
