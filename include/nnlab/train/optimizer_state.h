// What a resumable training run saves besides the weights: the optimizer's state (Adam's moments,
// SGD's momentum) and extra sets of named tensors (a best epoch, an averaging window), as byte
// blobs of an nnlab archive (models/archive.h).
#pragma once

#include <torch/optim/optimizer.h>

#include <string>

#include "nnlab/models/pth_reader.h"

namespace nnlab::train {

std::string save_optimizer_state(torch::optim::Optimizer& optimizer);
// Throws core::FileError ("<source>: damaged optimizer state: ...").
void load_optimizer_state(torch::optim::Optimizer& optimizer, const std::string& bytes,
                          const std::string& source);
void set_learning_rate(torch::optim::Optimizer& optimizer, double lr);
// The cosine schedule: base at progress 0, falling to 0 at progress 1 (the share of the training
// done, in epochs or in steps).
double cosine_learning_rate(double base, double progress);

std::string save_tensors(const models::TensorList& tensors);
// Throws core::FileError ("<source>: damaged training state").
models::TensorList load_tensors(const std::string& bytes, const std::string& source);

}  // namespace nnlab::train
