// Copies a name -> tensor list into a classifier's parameters and buffers, PyTorch-style
// (strict). A mismatch is one error listing the missing, unexpected and mis-shaped keys.
#pragma once

#include <string>

#include "nnlab/models/classifier.h"
#include "nnlab/models/pth_reader.h"

namespace nnlab::models {

// source: the file name for messages. Throws core::FileError on any mismatch.
void load_state_dict(Classifier& model, const TensorList& tensors, const std::string& source);

// Parameters then buffers of the model, detached, by name.
TensorList state_dict(const Classifier& model);

}  // namespace nnlab::models
