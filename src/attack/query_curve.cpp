#include "nnlab/attack/query_curve.h"

#include <torch/torch.h>

#include <algorithm>

namespace nnlab::attack {

nlohmann::json QueryCurve::points_json() const {
  auto points = nlohmann::json::array();
  for (size_t k = 0; k < queries.size(); ++k) {
    points.push_back({{"queries", queries[k]}, {"success_rate", broken[k]}});
  }
  return points;
}

std::vector<std::int64_t> query_grid(std::int64_t max_queries) {
  std::vector<std::int64_t> grid = {0};
  for (std::int64_t decade = 1; decade < max_queries; decade *= 10) {
    for (const std::int64_t step : {1, 2, 5}) {
      if (decade * step < max_queries) grid.push_back(decade * step);
    }
  }
  if (max_queries > 0) grid.push_back(max_queries);
  return grid;
}

QueryCurve query_curve(const torch::Tensor& queries, const torch::Tensor& success,
                       std::vector<std::int64_t> grid) {
  TORCH_CHECK(queries.dim() == 1 && success.dim() == 1 && queries.numel() == success.numel(),
              "query_curve: expected (N) queries and (N) success, got ", queries.sizes(), " and ",
              success.sizes());
  const auto count = queries.to(torch::kCPU, torch::kLong);
  const auto broken = success.to(torch::kCPU, torch::kBool);
  const auto n = count.numel();
  if (grid.empty())
    grid = query_grid(n > 0 ? std::max<std::int64_t>(count.max().item<std::int64_t>(), 1) : 1);
  TORCH_CHECK(std::is_sorted(grid.begin(), grid.end()), "query_curve: the grid must increase");
  QueryCurve curve;
  curve.queries = grid;
  for (const auto q : grid) {
    const auto within = broken.logical_and(count.le(q)).sum().item<std::int64_t>();
    curve.broken.push_back(n > 0 ? static_cast<double>(within) / static_cast<double>(n) : 0.0);
  }
  const auto spent = count.masked_select(broken.logical_and(count.gt(0))).to(torch::kDouble);
  if (spent.numel() > 0) {
    curve.mean_queries = spent.mean().item<double>();
    const auto sorted = std::get<0>(spent.sort());
    const auto m = sorted.numel();
    curve.median_queries =
        m % 2 == 1 ? sorted[m / 2].item<double>()
                   : (sorted[m / 2 - 1].item<double>() + sorted[m / 2].item<double>()) / 2;
  }
  return curve;
}

}  // namespace nnlab::attack
