// Copies a name -> tensor list into a model's parameters and buffers, PyTorch-style (strict). A
// mismatch is one error listing the missing, unexpected and mis-shaped keys.
#pragma once

#include <string>

#include "nnlab/models/classifier.h"
#include "nnlab/models/pth_reader.h"

namespace torch::nn {
class Module;
}

namespace nnlab::models {

// source: the file name for messages. Throws core::FileError on any mismatch.
void load_state_dict(Classifier& model, const TensorList& tensors, const std::string& source);

// Parameters then buffers of the model, detached, by name.
TensorList state_dict(const Classifier& model);

// The same for any LibTorch module (the tensors share the module's storage).
TensorList module_state(const torch::nn::Module& module);

// Number of trainable values (parameters, not buffers) of any module.
std::int64_t parameter_count(const torch::nn::Module& module);

// Copies `tensors` into `targets` (a model's own tensors by name, as state_dict gives them);
// `what` names the model in the message ("architecture 'lenet5'"). Throws core::FileError
// "<source>: does not fit <what>: missing keys: ...; unexpected keys: ...; mis-shaped keys: ...".
void copy_state(const TensorList& targets, const TensorList& tensors, const std::string& what,
                const std::string& source);

}  // namespace nnlab::models
