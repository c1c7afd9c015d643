// A model file holding NaN or infinite weights (a run that diverged, a damaged file) is refused
// when it is read, rather than loaded into a model whose every prediction is NaN. One check for
// every reader: torch.save files (read_pth: nnlab checkpoints, seq2seq, language and caption
// models, .pth state_dicts), .nnz files (after decoding) and TorchScript modules (load_model).
#pragma once

#include <string>

#include "nnlab/models/pth_reader.h"

namespace nnlab::models {

// Throws core::FileError(source, ...) naming the first floating-point tensor that holds a NaN or
// an infinity; tensors of other types are not looked at.
void check_finite_weights(const TensorList& tensors, const std::string& source);

}  // namespace nnlab::models
