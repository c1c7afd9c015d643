// Helpers shared by the model zoo tests: look up a parameter or buffer by its PyTorch name.
#pragma once

#include <torch/nn/module.h>

#include <cstdint>
#include <string>
#include <vector>

namespace nnlab::models::testing {

// The shape of the parameter or buffer called `name`, or {} when there is none.
inline std::vector<std::int64_t> shape_of(const torch::nn::Module& module,
                                          const std::string& name) {
  for (const auto& item : module.named_parameters(/*recurse=*/true)) {
    if (item.key() == name) {
      return item.value().sizes().vec();
    }
  }
  for (const auto& item : module.named_buffers(/*recurse=*/true)) {
    if (item.key() == name) {
      return item.value().sizes().vec();
    }
  }
  return {};
}

inline bool has_key(const torch::nn::Module& module, const std::string& name) {
  return module.named_parameters(true).contains(name) || module.named_buffers(true).contains(name);
}

inline std::int64_t count_parameters(const torch::nn::Module& module) {
  std::int64_t count = 0;
  for (const auto& parameter : module.parameters(/*recurse=*/true)) {
    count += parameter.numel();
  }
  return count;
}

// Parameters plus buffers: the number of entries of PyTorch's state_dict().
inline std::size_t state_dict_size(const torch::nn::Module& module) {
  return module.named_parameters(true).size() + module.named_buffers(true).size();
}

}  // namespace nnlab::models::testing
