#include "nnlab/attack/batch_size.h"

#include <algorithm>
#include <string>

#include "nnlab/core/error.h"

namespace nnlab::attack {

std::int64_t default_batch_size(std::int64_t channels, std::int64_t height, std::int64_t width) {
  if (channels < 1 || height < 1 || width < 1) {
    throw core::OptionError("AttackOptions.batch_size",
                            "no default for images of " + std::to_string(channels) + "x" +
                                std::to_string(height) + "x" + std::to_string(width));
  }
  const std::int64_t elements = channels * height * width;
  return std::clamp<std::int64_t>(kBatchInputElements / elements, 1, kMaxDefaultBatchSize);
}

}  // namespace nnlab::attack
