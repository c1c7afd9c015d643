#include "nnlab/compress/nnz_model.h"

#include <torch/torch.h>

#include <map>
#include <stdexcept>

#include "nnlab/compress/sparse_index.h"
#include "nnlab/models/state_dict.h"

namespace nnlab::compress {

namespace {

// The sparse entries of a clustered tensor whose index is -1 where a weight was pruned.
void set_sparse_entries(NnzTensor& t, const std::int64_t* ix, std::int64_t n, int gap_bits) {
  std::vector<std::int64_t> kept;
  for (std::int64_t i = 0; i < n; ++i) {
    if (ix[i] >= 0) kept.push_back(i);
  }
  const auto entries = encode_positions(kept, gap_bits);
  t.gap_bits = gap_bits;
  t.gaps = entries.gaps;
  t.indices.clear();
  const auto filler = static_cast<std::uint32_t>(t.codebook.size());
  for (std::size_t e = 0; e < entries.positions.size(); ++e) {
    t.indices.push_back(entries.filler[e] ? filler
                                          : static_cast<std::uint32_t>(ix[entries.positions[e]]));
  }
}

}  // namespace

NnzModel nnz_from_model(const models::Classifier& model,
                        const std::vector<std::pair<std::string, ClusteredTensor>>& clusters,
                        const NnzOptions& options) {
  if (options.gap_bits < 0 || options.gap_bits > 16) {
    throw std::invalid_argument("nnz_from_model: gap bits must be in 0..16 (0: the smallest)");
  }
  NnzModel out;
  out.info = model.info();
  std::map<std::string, const ClusteredTensor*> by_name;
  for (const auto& [name, c] : clusters) by_name[name] = &c;
  for (const auto& [name, tensor] : models::state_dict(model)) {
    NnzTensor t;
    t.name = name;
    t.shape = tensor.sizes().vec();
    const auto it = by_name.find(name);
    if (it == by_name.end()) {
      const auto values = tensor.detach().to(torch::kCPU, torch::kFloat).contiguous();
      t.raw.assign(values.data_ptr<float>(), values.data_ptr<float>() + values.numel());
      if (options.half_precision_rest) t.kind = NnzTensor::Kind::kHalf;
      out.tensors.push_back(std::move(t));
      continue;
    }
    const auto& c = *it->second;
    if (c.rows > 1 && !c.indices.lt(0).any().item<bool>()) {  // one codebook per row, whole
      const auto centroids = c.centroids.to(torch::kCPU, torch::kFloat).contiguous();
      const auto per_row = centroids.numel() / c.rows;
      const auto index = c.indices.to(torch::kCPU, torch::kLong).flatten().remainder(per_row);
      t.kind = NnzTensor::Kind::kRowClustered;
      t.codebook.assign(centroids.data_ptr<float>(),
                        centroids.data_ptr<float>() + centroids.numel());
      t.indices.assign(index.data_ptr<std::int64_t>(),
                       index.data_ptr<std::int64_t>() + index.numel());
      out.tensors.push_back(std::move(t));
      continue;
    }
    // Only the centroids some weight uses go into the codebook (k-means over a small layer
    // leaves clusters empty; a pruned layer may not use its zero level).
    const auto centroids = c.centroids.to(torch::kCPU, torch::kFloat).contiguous();
    auto index = c.indices.to(torch::kCPU, torch::kLong).flatten().contiguous();
    const auto kept = index.ge(0);
    const auto used = std::get<0>(torch::_unique(index.masked_select(kept), /*sorted=*/true));
    auto remap = torch::full({centroids.numel()}, -1, torch::kLong);
    remap.index_put_({used}, torch::arange(used.numel(), torch::kLong));
    index = torch::where(kept, remap.index({index.clamp_min(0)}), index).contiguous();
    const auto codebook = centroids.index({used}).contiguous();
    t.codebook.assign(codebook.data_ptr<float>(), codebook.data_ptr<float>() + codebook.numel());
    if (t.codebook.empty()) t.codebook.push_back(0.0f);  // every weight pruned
    const auto* ix = index.data_ptr<std::int64_t>();
    if (!index.lt(0).any().item<bool>()) {
      t.kind = NnzTensor::Kind::kClustered;
      t.indices.assign(ix, ix + index.numel());
    } else if (options.gap_bits > 0) {
      t.kind = NnzTensor::Kind::kSparse;
      set_sparse_entries(t, ix, index.numel(), options.gap_bits);
    } else {  // every width, keeping the one that codes smallest
      t.kind = NnzTensor::Kind::kSparse;
      NnzTensor best;
      std::size_t best_bytes = 0;
      for (int bits = 1; bits <= 16; ++bits) {
        set_sparse_entries(t, ix, index.numel(), bits);
        const auto bytes = nnz_tensor_bytes(t);
        if (bits == 1 || bytes < best_bytes) {
          best = t;
          best_bytes = bytes;
        }
      }
      t = std::move(best);
    }
    out.tensors.push_back(std::move(t));
  }
  return out;
}

models::Checkpoint nnz_to_checkpoint(const NnzModel& model) {
  models::Checkpoint checkpoint;
  checkpoint.info = model.info;
  checkpoint.meta = model.meta;
  for (const auto& t : model.tensors) checkpoint.state.emplace_back(t.name, nnz_dense(t));
  return checkpoint;
}

}  // namespace nnlab::compress
