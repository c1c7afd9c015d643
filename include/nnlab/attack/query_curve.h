// Success against queries, the figure of black-box attacks (Square, HopSkipJump): from the model
// queries each image cost (AttackResult::queries) and whether it ended adversarial, the share of
// the images broken within q queries for a grid of q. An image counts as broken within q when it
// ended adversarial and its count is at most q; one the model already got wrong clean costs 0
// queries, so the curve starts at 1 - clean accuracy and ends at the success rate of
// metrics.h (1 - adversarial accuracy).
#pragma once

#include <torch/types.h>

#include <cstdint>
#include <nlohmann/json.hpp>
#include <vector>

namespace nnlab::attack {

struct QueryCurve {
  std::vector<std::int64_t> queries;  // the grid, increasing
  std::vector<double> broken;         // per grid point: the share of all images broken within it
  // Over the images the attack broke with at least one query (the field's "average queries"):
  // 0 when there are none.
  double mean_queries = 0;
  double median_queries =
      0;  // the middle value (the mean of the two middle ones for an even count)

  // [{"queries": q, "success_rate": s}, ...]
  nlohmann::json points_json() const;
};

// 0, then 1, 2, 5, 10, 20, 50, ... below max_queries, then max_queries (max_queries >= 1).
std::vector<std::int64_t> query_grid(std::int64_t max_queries);

// queries (N) integer, success (N) bool, on any device. grid empty: query_grid of the largest
// count. Throws c10::Error for tensors of different lengths or an unsorted grid.
QueryCurve query_curve(const torch::Tensor& queries, const torch::Tensor& success,
                       std::vector<std::int64_t> grid = {});

}  // namespace nnlab::attack
