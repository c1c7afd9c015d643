// Reads PyTorch's torch.save files without Python: the zip format (PyTorch >= 1.6) and the
// legacy format (magic number, protocol, sys info, pickled object, storage keys, raw storages)
// of torchvision's 2017 release files such as vgg16-397923af.pth. The pickle inside is run by the
// pickle machine of models/pickle.h; models/pth_writer.h writes the legacy format.
#pragma once

#include <string>

#include "nnlab/models/tensor_list.h"

namespace nnlab::models {

// Reads a file that holds a dict (or OrderedDict) of tensors, possibly nested one level under
// a key like "state_dict" or "model" (training checkpoints). Tensors are loaded on the CPU.
// Throws core::FileError for anything else or a NaN/inf weight (models/finite_weights.h).
TensorList read_pth(const std::string& path);

// True when the file starts like a torch.save file (zip or legacy pickle).
bool looks_like_pth(const std::string& path);

}  // namespace nnlab::models
