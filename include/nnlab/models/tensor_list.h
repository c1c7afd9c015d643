// An ordered name -> tensor list: the shape of a state_dict as files hold it.
#pragma once

#include <torch/types.h>

#include <string>
#include <utility>
#include <vector>

namespace nnlab::models {

using TensorList = std::vector<std::pair<std::string, torch::Tensor>>;

}  // namespace nnlab::models
