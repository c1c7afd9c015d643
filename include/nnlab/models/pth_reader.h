// Reads PyTorch's torch.save files without Python: the zip format (PyTorch >= 1.6) and the
// legacy format (magic number, protocol, sys info, pickled object, storage keys, raw storages)
// of torchvision's 2017 release files such as vgg16-397923af.pth. The pickle is run by a small
// pickle VM that knows the globals torch.save uses (OrderedDict, _rebuild_tensor_v2, storages).
#pragma once

#include <torch/types.h>

#include <string>
#include <utility>
#include <vector>

namespace nnlab::models {

// An ordered name -> tensor list, the shape of a state_dict.
using TensorList = std::vector<std::pair<std::string, torch::Tensor>>;

// Reads a file that holds a dict (or OrderedDict) of tensors, possibly nested one level under
// a key like "state_dict" or "model" (training checkpoints). Tensors are loaded on the CPU.
// Throws core::FileError for anything else or a NaN/inf weight (models/finite_weights.h).
TensorList read_pth(const std::string& path);

// True when the file starts like a torch.save file (zip or legacy pickle).
bool looks_like_pth(const std::string& path);

// Writes a dict of tensors in the legacy (pre-1.6) format; the tests use it to check the legacy
// reader without Python, and torch.load reads it.
void write_legacy_pth(const std::string& path, const TensorList& tensors);

}  // namespace nnlab::models
