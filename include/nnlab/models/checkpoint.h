// nnlab's self-describing model file: the metadata needed to rebuild the model (architecture,
// classes, input spec, normalization), its state_dict, and opaque blobs that algorithms add
// (the trainer's optimizer state). Stored as a torch.save-compatible zip holding a plain dict of
// tensors, so Python's torch.load reads it too (see docs/FORMAT.md).
#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <string>

#include "nnlab/models/archive.h"
#include "nnlab/models/classifier.h"
#include "nnlab/models/pth_reader.h"

namespace nnlab::models {

inline constexpr const char* kCheckpointFormat = "nnlab-checkpoint";
inline constexpr int kCheckpointVersion = 1;

// An archive (models/archive.h) whose meta also holds the model's info; meta is free-form
// otherwise (training state, history, ...).
struct Checkpoint : Archive {
  ModelInfo info;
};

// Takes the model's info, a copy of its state_dict (on the CPU, float32) and its precision (the
// metadata's "precision": fp32 or bf16, the arithmetic it ran in when it was saved).
Checkpoint make_checkpoint(const Classifier& model);

// Atomic write.
void save_checkpoint(const std::string& path, const Checkpoint& checkpoint);

// Throws core::FileError when the file is not an nnlab checkpoint or is damaged.
Checkpoint read_checkpoint(const std::string& path);

// True for a torch.save dict that carries nnlab's metadata entry.
bool is_checkpoint(const TensorList& tensors);
Checkpoint checkpoint_from_tensors(const TensorList& tensors, const std::string& source);

// Rebuilds the architecture named in the checkpoint and loads its weights.
Classifier classifier_from_checkpoint(const Checkpoint& checkpoint, const std::string& source);

nlohmann::json info_to_json(const ModelInfo& info);
ModelInfo info_from_json(const nlohmann::json& j, const std::string& source);

}  // namespace nnlab::models
