// The container under every nnlab model file: a torch.save-compatible zip holding one plain dict
// of tensors — a JSON metadata entry, the state_dict ("model.<name>"), pruning masks
// ("mask.<name>") and opaque byte blobs ("blob.<name>") — so Python's torch.load reads it too.
// Classifier checkpoints, seq2seq, language and caption models differ only in their metadata
// (docs/FORMAT.md).
#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <string>

#include "nnlab/models/pth_reader.h"

namespace nnlab::models {

struct Archive {
  nlohmann::json meta = nlohmann::json::object();  // "format" names the kind of file
  TensorList state;                                // the model's state_dict
  TensorList masks;  // pruning masks by parameter name (0 = pruned), when pruned
  std::map<std::string, std::string> blobs;  // name -> bytes
};

// Atomic write; tensors are copied to the CPU.
void save_archive(const std::string& path, const Archive& archive);

// Throws core::FileError when the file is not a torch.save dict with nnlab's metadata entry.
Archive read_archive(const std::string& path);
Archive archive_from_tensors(const TensorList& tensors, const std::string& source);

// True for a torch.save dict that carries nnlab's metadata entry.
bool is_archive(const TensorList& tensors);

// Checks meta["format"] == format and meta["version"] <= version; throws core::FileError naming
// what the file is instead ("<source>: not an nnlab seq2seq model (it is an nnlab-checkpoint)").
void check_archive_format(const Archive& archive, const std::string& format, int version,
                          const std::string& what, const std::string& source);

// A byte string as a uint8 tensor and back.
torch::Tensor bytes_to_tensor(const std::string& bytes);
std::string tensor_to_bytes(const torch::Tensor& tensor);

}  // namespace nnlab::models
