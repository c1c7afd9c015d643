#include "nnlab/compress/weight_clustering.h"

#include <torch/torch.h>

#include <map>
#include <stdexcept>
#include <string>

#include "nnlab/compress/fake_quantization.h"

namespace nnlab::compress {

ClusteredTensor kmeans_cluster(const torch::Tensor& weights, const torch::Tensor& mask,
                               const KMeansOptions& options) {
  if (options.bits < 1 || options.bits > 16) {
    throw std::invalid_argument("k-means: bits must be in 1..16, got " +
                                std::to_string(options.bits));
  }
  torch::NoGradGuard no_grad;
  const auto flat = weights.detach().to(torch::kCPU, torch::kFloat).flatten();
  const auto kept = mask.defined() ? mask.to(torch::kCPU).flatten().ne(0)
                                   : torch::ones(flat.sizes(), torch::kBool);
  const auto values = flat.masked_select(kept);
  const std::int64_t k = std::int64_t{1} << options.bits;
  ClusteredTensor out;
  auto indices = torch::full(flat.sizes(), -1, torch::kLong);
  if (values.numel() == 0) {
    out.centroids = torch::zeros({k});
    out.indices = indices.reshape(weights.sizes());
    return out;
  }
  auto centroids = torch::linspace(values.min().item<float>(), values.max().item<float>(), k);
  torch::Tensor assignment;
  for (int iteration = 0; iteration < options.max_iterations; ++iteration) {
    // Nearest centroid: centroids are sorted, so bucketize at the midpoints.
    const auto sorted = std::get<0>(centroids.sort());
    centroids = sorted;
    const auto midpoints = (sorted.slice(0, 1) + sorted.slice(0, 0, k - 1)) / 2;
    const auto next = torch::bucketize(values, midpoints);
    if (assignment.defined() && torch::equal(next, assignment)) break;
    assignment = next;
    const auto sums = torch::zeros({k}).scatter_add(0, assignment, values);
    const auto counts = torch::zeros({k}).scatter_add(0, assignment, torch::ones_like(values));
    // An empty cluster keeps its centroid.
    centroids = torch::where(counts > 0, sums / counts.clamp_min(1), centroids);
  }
  indices.masked_scatter_(kept, assignment);
  out.centroids = centroids;
  out.indices = indices.reshape(weights.sizes());
  return out;
}

ClusteredTensor uniform_clusters(const torch::Tensor& weights, const torch::Tensor& mask,
                                 const UniformQuantizationOptions& options) {
  const auto q = quantize_uniform(weights.detach().cpu().to(torch::kFloat), options);
  const std::int64_t levels = std::int64_t{1} << options.bits;
  // Symmetric codes run from -(2^(b-1) - 1): shifted to start at 0.
  const std::int64_t offset = options.symmetric ? (levels / 2 - 1) : 0;
  const auto channels = q.scale.numel();
  const auto level = torch::arange(levels, torch::kFloat) - static_cast<double>(offset);
  ClusteredTensor c;
  // Row c holds channel c's levels (one row when per tensor); index = c * levels + code.
  c.centroids = ((level.unsqueeze(0) - q.zero_point.to(torch::kFloat).view({channels, 1})) *
                 q.scale.view({channels, 1}))
                    .flatten();
  auto index = q.codes.to(torch::kLong) + offset;
  if (options.per_channel) {
    std::vector<std::int64_t> shape(static_cast<std::size_t>(index.dim()), 1);
    shape[0] = channels;
    index = index + torch::arange(channels, torch::kLong).view(shape) * levels;
  }
  c.indices = index;
  c.rows = options.per_channel ? channels : 1;
  if (mask.defined()) {
    c.indices = torch::where(mask.cpu().ne(0), c.indices, torch::full({}, -1L));
  }
  return c;
}

void update_centroids(ClusteredTensor& c, const torch::Tensor& weights) {
  const auto flat = weights.detach().cpu().flatten();
  const auto index = c.indices.flatten();
  const auto kept = index.ge(0);
  c.centroids =
      c.centroids.clone().index_put_({index.masked_select(kept)}, flat.masked_select(kept));
}

void update_centroids(std::vector<std::pair<std::string, ClusteredTensor>>& clusters,
                      const models::Classifier& model) {
  std::map<std::string, torch::Tensor> params;
  for (const auto& [name, p] : model.named_parameters()) params[name] = p;
  for (auto& [name, c] : clusters) update_centroids(c, params.at(name));
}

torch::Tensor clustered_weights(const ClusteredTensor& c) {
  const auto safe = c.indices.clamp_min(0);
  return torch::where(c.indices.ge(0), c.centroids.index({safe}), torch::zeros({}));
}

train::TrainHooks cluster_gradient_hooks(
    const std::vector<std::pair<std::string, ClusteredTensor>>& clusters) {
  train::TrainHooks hooks;
  hooks.after_backward = [clusters](models::Classifier& model) {
    std::map<std::string, torch::Tensor> params;
    for (const auto& [name, p] : model.named_parameters()) params[name] = p;
    torch::NoGradGuard no_grad;
    for (const auto& [name, clustered] : clusters) {
      const auto it = params.find(name);
      if (it == params.end() || !it->second.grad().defined()) continue;
      auto& grad = it->second.mutable_grad();
      const auto index = clustered.indices.to(grad.device()).flatten();
      const auto kept = index.ge(0);
      const auto safe = index.clamp_min(0);
      const auto k = clustered.centroids.numel();
      const auto sums = torch::zeros({k}, grad.options())
                            .scatter_add(0, safe, grad.flatten() * kept.to(grad.dtype()));
      grad.copy_((sums.index({safe}) * kept.to(grad.dtype())).reshape(grad.sizes()));
    }
  };
  return hooks;
}

}  // namespace nnlab::compress
