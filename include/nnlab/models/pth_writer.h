// Writes torch.save's legacy (pre-1.6) format: the container models/pth_reader.h reads and
// torch.load reads. The tests use it to check the legacy reader without Python.
#pragma once

#include <string>

#include "nnlab/models/tensor_list.h"

namespace nnlab::models {

// Writes a dict of tensors (float, double, half, int64, int32, uint8, bool), atomically.
void write_legacy_pth(const std::string& path, const TensorList& tensors);

}  // namespace nnlab::models
