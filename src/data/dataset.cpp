#include "nnlab/data/dataset.h"

#include <algorithm>

namespace nnlab::data {

std::int64_t Dataset::num_classes() const {
  if (!class_names.empty()) return static_cast<std::int64_t>(class_names.size());
  if (!labels.defined() || labels.numel() == 0) return 0;
  return labels.max().item<std::int64_t>() + 1;
}

Dataset Dataset::head(std::int64_t n) const {
  if (n <= 0 || n >= size()) return *this;
  Dataset out;
  out.images = images.narrow(0, 0, n);
  out.labels = labels.narrow(0, 0, n);
  out.class_names = class_names;
  // files is either empty or one name per image; a shorter list is kept as far as it goes.
  out.files.assign(files.begin(), files.begin() + std::min<std::int64_t>(n, files.size()));
  out.source = source;
  return out;
}

Dataset Dataset::select(const torch::Tensor& index) const {
  TORCH_CHECK(index.dim() == 1, "Dataset::select: index must be 1-D, got ", index.sizes());
  const torch::Tensor rows = index.to(torch::kCPU, torch::kLong).contiguous();
  Dataset out;
  out.images = images.index_select(0, rows);
  out.labels = labels.index_select(0, rows);
  out.class_names = class_names;
  out.source = source;
  if (!files.empty()) {
    TORCH_CHECK(static_cast<std::int64_t>(files.size()) == size(),
                "Dataset::select: ", files.size(), " file names for ", size(), " images");
    const auto* row = rows.data_ptr<std::int64_t>();
    out.files.reserve(rows.numel());
    for (std::int64_t i = 0; i < rows.numel(); ++i) {
      // index_select has checked the range already; negative rows are not valid there either.
      out.files.push_back(files[row[i]]);
    }
  }
  return out;
}

}  // namespace nnlab::data
