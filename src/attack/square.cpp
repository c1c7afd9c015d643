#include "nnlab/attack/square.h"

#include <ATen/CPUGeneratorImpl.h>
#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <sstream>
#include <utility>
#include <vector>

#include "nnlab/attack/loss.h"
#include "nnlab/attack/objective.h"
#include "nnlab/attack/pixel_grid.h"
#include "nnlab/core/error.h"
#include "nnlab/core/seed.h"

namespace nnlab::attack {

// One run from a fresh start over some images (rows as given to single_run).
struct Square::Run {
  torch::Tensor images;   // (M,C,H,W) the evaluated image of each one's lowest margin (or success)
  torch::Tensor margin;   // (M) its margin
  torch::Tensor success;  // (M) bool: the model's verdict on `images`
  torch::Tensor queries;  // (M) int64: forward passes spent on each image in this run
};

namespace {

// One image's random choices, from a generator of its own: what an image draws does not depend on
// which other images share its batch.
class Draws {
 public:
  explicit Draws(std::uint64_t seed)
      : generator_(at::make_generator<at::CPUGeneratorImpl>(seed)),
        cpu_(generator_.get<at::CPUGeneratorImpl>()) {}
  // Uniform in [0, n].
  std::int64_t up_to(std::int64_t n) {
    return static_cast<std::int64_t>(cpu_->random64() % static_cast<std::uint64_t>(n + 1));
  }
  float sign() { return (cpu_->random64() & 1) != 0 ? 1.0f : -1.0f; }
  bool coin() { return (cpu_->random64() & 1) != 0; }

 private:
  at::Generator generator_;
  at::CPUGeneratorImpl* cpu_;
};

// (N) -> (N, 1, 1, 1).
torch::Tensor per_image(const torch::Tensor& v) {
  return v.view({-1, 1, 1, 1});
}

// The reference's eta_rectangles(x, y): rectangles nested around the centre of an x-by-y patch,
// the k-th (k = 1, 2, ...) of side 2k - 1 clipped to the patch and adding 1/k^2; unit L2 norm.
torch::Tensor rectangles(std::int64_t x, std::int64_t y) {
  auto delta = torch::zeros({x, y});
  const auto x_centre = x / 2 + 1;
  const auto y_centre = y / 2 + 1;
  std::int64_t row = x_centre - 1;
  std::int64_t col = y_centre - 1;
  for (std::int64_t k = 0; k < std::max(x_centre, y_centre); ++k, --row, --col) {
    const auto row_from = std::max<std::int64_t>(row, 0);
    const auto row_to = std::min(row + 2 * k + 1, x);
    const auto col_from = std::max<std::int64_t>(col, 0);
    const auto col_to = std::min(col + 2 * k + 1, y);
    if (row_from < row_to && col_from < col_to) {
      delta.slice(0, row_from, row_to).slice(1, col_from, col_to) +=
          1.0 / static_cast<double>((k + 1) * (k + 1));
    }
  }
  return delta.numel() > 0 ? delta / delta.norm() : delta;
}

// The reference's eta(s): an s-by-s pattern, the top half positive rectangles, the bottom half
// negative ones, of unit L2 norm. The reference transposes it with probability 1/2; the caller
// draws that.
torch::Tensor eta(std::int64_t s) {
  const auto pattern = torch::cat({rectangles(s / 2, s), -rectangles(s - s / 2, s)}, 0);
  return pattern / pattern.norm();
}

// (K, s*s) int64: the flat indices into an h x w plane (width w) of the s-by-s window at each row's
// top-left corner (top, left).
torch::Tensor window_indices(const torch::Tensor& top, const torch::Tensor& left, std::int64_t s,
                             std::int64_t w) {
  const auto steps = torch::arange(s, top.options());
  const auto offsets = (steps.view({s, 1}) * w + steps.view({1, s})).flatten();
  return (top * w + left).view({-1, 1}) + offsets.view({1, -1});
}

// (K, 1, h, w) bool: each row's s-by-s window at (top, left).
torch::Tensor window_mask(const torch::Tensor& top, const torch::Tensor& left, std::int64_t s,
                          std::int64_t h, std::int64_t w) {
  const auto rows = torch::arange(h, top.options()).view({1, h});
  const auto cols = torch::arange(w, top.options()).view({1, w});
  const auto in_rows = rows.ge(top.view({-1, 1})).logical_and(rows.lt(top.view({-1, 1}) + s));
  const auto in_cols = cols.ge(left.view({-1, 1})).logical_and(cols.lt(left.view({-1, 1}) + s));
  return in_rows.view({-1, 1, h, 1}).logical_and(in_cols.view({-1, 1, 1, w}));
}

}  // namespace

Square::Square(AttackOptions options, SquareOptions square)
    : BatchedAttack(std::move(options)), square_(square), norm_(parse_norm(options_.norm)) {
  require_at_least("SquareOptions.queries", square_.queries, 1);
  require_at_least("SquareOptions.restarts", square_.restarts, 1);
  if (!(square_.p_init > 0 && square_.p_init <= 1)) {
    std::ostringstream got;
    got << square_.p_init;
    throw core::OptionError("SquareOptions.p_init", "must be in (0, 1], got " + got.str());
  }
}

double Square::p_selection(double p_init, int iteration, int queries) {
  // As the reference: the iteration rescaled to a run of 10,000 queries (Python's int()
  // truncates), and p halved at each bound passed.
  const auto it = static_cast<int>(static_cast<double>(iteration) / queries * 10000);
  double p = p_init;
  for (const int bound : {10, 50, 200, 500, 1000, 2000, 4000, 6000, 8000}) {
    if (it > bound) p /= 2;
  }
  return p;
}

std::int64_t Square::window_size(double p, std::int64_t h, std::int64_t w, Norm norm) {
  // nearbyint: Python's round() rounds half to even.
  auto s = static_cast<std::int64_t>(std::nearbyint(std::sqrt(p * static_cast<double>(h * w))));
  if (norm == Norm::kLinf) {
    s = std::max<std::int64_t>(s, 1);
  } else {
    s = std::max<std::int64_t>(s, 3);
    if (s % 2 == 0) ++s;  // an odd side centres the eta pattern
  }
  return std::min({s, h, w});
}

Square::Run Square::single_run(models::Classifier& model, const torch::Tensor& clean,
                               const torch::Tensor& goals, const torch::Tensor& keys,
                               int restart) const {
  const auto m = clean.size(0);
  const auto c = clean.size(1);
  const auto h = clean.size(2);
  const auto w = clean.size(3);
  const double eps = options_.epsilon;
  const bool targeted = options_.targeted;
  const auto cpu_long = torch::TensorOptions().dtype(torch::kLong);
  const auto cpu_float = torch::TensorOptions().dtype(torch::kFloat);
  const auto device_long = clean.options().dtype(torch::kLong);

  std::vector<Draws> draws;
  draws.reserve(static_cast<size_t>(m));
  const auto key = keys.to(torch::kCPU, torch::kLong).contiguous();
  const auto* image_key = key.data_ptr<std::int64_t>();
  for (std::int64_t i = 0; i < m; ++i) {
    draws.emplace_back(core::mix_seed(options_.seed, static_cast<std::uint64_t>(image_key[i]),
                                      static_cast<std::uint64_t>(restart)));
  }
  // What a query evaluates, and what is returned: with rounding, the 8-bit image in the ball.
  const auto to_saved = [&](const torch::Tensor& x, const torch::Tensor& x_clean) {
    return options_.round_to_8bit ? quantize_in_ball(x, x_clean, eps, norm_) : x;
  };
  // The loss the search lowers: how far the goal is (untargeted: the true class's lead).
  const auto margin_of = [&](const torch::Tensor& logits, const torch::Tensor& y) {
    return (targeted ? -targeted_margin_loss(logits, y) : -margin_loss(logits, y))
        .to(torch::kFloat);
  };

  // The start, on the boundary of the ball.
  torch::Tensor x_best;
  if (norm_ == Norm::kLinf) {
    // Vertical stripes: one sign per channel and column.
    auto stripes = torch::empty({m, c, 1, w}, cpu_float);
    auto a = stripes.accessor<float, 4>();
    for (std::int64_t i = 0; i < m; ++i) {
      for (std::int64_t ch = 0; ch < c; ++ch) {
        for (std::int64_t col = 0; col < w; ++col) a[i][ch][0][col] = draws[i].sign();
      }
    }
    x_best = (clean + eps * stripes.to(clean.options())).clamp(0, 1);
  } else {
    // A grid of eta blocks of side h / 5, centred, each with a sign per channel.
    const auto s = std::max<std::int64_t>(h / 5, 1);
    const auto first = std::max<std::int64_t>((h - 5 * s) / 2, 0);
    const auto pattern = eta(s).to(clean.options()).view({1, 1, s, s});
    std::vector<std::pair<std::int64_t, std::int64_t>> blocks;
    for (std::int64_t top = first; top + s <= h; top += s) {
      for (std::int64_t left = first; left + s <= w; left += s) blocks.emplace_back(top, left);
    }
    const auto b = static_cast<std::int64_t>(blocks.size());
    auto signs = torch::empty({m, b, c}, cpu_float);
    auto a = signs.accessor<float, 3>();
    for (std::int64_t i = 0; i < m; ++i) {
      for (std::int64_t k = 0; k < b; ++k) {
        for (std::int64_t ch = 0; ch < c; ++ch) a[i][k][ch] = draws[i].sign();
      }
    }
    const auto block_signs = signs.to(clean.options());
    auto delta = torch::zeros_like(clean);
    for (std::int64_t k = 0; k < b; ++k) {
      const auto [top, left] = blocks[static_cast<size_t>(k)];
      delta.slice(2, top, top + s).slice(3, left, left + s) +=
          pattern * block_signs.select(1, k).view({m, c, 1, 1});
    }
    const auto norm = per_image_norm(delta, Norm::kL2).clamp_min(1e-12);
    x_best = (clean + delta / per_image(norm) * eps).clamp(0, 1);
  }

  Run run;
  run.images = to_saved(x_best, clean).clone();
  auto logits = logits_of(model, run.images);
  run.queries = torch::ones({m}, device_long);
  run.margin = margin_of(logits, goals);
  run.success = is_adversarial(logits, goals, targeted);
  auto active = run.success.logical_not().nonzero().flatten();

  std::map<std::int64_t, std::pair<torch::Tensor, torch::Tensor>> patterns;  // s -> eta, eta^T
  for (int iteration = 0; iteration + 1 < square_.queries && active.numel() > 0; ++iteration) {
    const auto s =
        window_size(p_selection(square_.p_init, iteration, square_.queries), h, w, norm_);
    const auto k = active.size(0);
    const auto rows = active.to(torch::kCPU).contiguous();
    const auto* row = rows.data_ptr<std::int64_t>();
    const auto x = x_best.index_select(0, active);
    const auto x_clean = clean.index_select(0, active);
    const auto y = goals.index_select(0, active);

    torch::Tensor candidate;
    if (norm_ == Norm::kLinf) {
      // The window goes to the corner clean + eps * sign, one sign per channel.
      auto corners = torch::empty({k, 2}, cpu_long);
      auto signs = torch::empty({k, c}, cpu_float);
      auto corner = corners.accessor<std::int64_t, 2>();
      auto sign = signs.accessor<float, 2>();
      for (std::int64_t j = 0; j < k; ++j) {
        auto& d = draws[static_cast<size_t>(row[j])];
        corner[j][0] = d.up_to(h - s);
        corner[j][1] = d.up_to(w - s);
        for (std::int64_t ch = 0; ch < c; ++ch) sign[j][ch] = d.sign();
      }
      corners = corners.to(clean.device());
      const auto mask = window_mask(corners.select(1, 0), corners.select(1, 1), s, h, w);
      const auto target =
          (x_clean + eps * signs.to(clean.options()).view({k, c, 1, 1})).clamp(0, 1);
      candidate = torch::where(mask, target, x);
    } else {
      // Two windows: the mass of the second moves into the first, which also gets a fresh eta
      // pattern; then the whole perturbation is rescaled to eps.
      auto corners = torch::empty({k, 4}, cpu_long);
      auto signs = torch::empty({k, c}, cpu_float);
      auto flips = torch::empty({k}, torch::TensorOptions().dtype(torch::kBool));
      auto corner = corners.accessor<std::int64_t, 2>();
      auto sign = signs.accessor<float, 2>();
      auto flip = flips.accessor<bool, 1>();
      for (std::int64_t j = 0; j < k; ++j) {
        auto& d = draws[static_cast<size_t>(row[j])];
        for (int e = 0; e < 4; ++e) corner[j][e] = d.up_to((e % 2 == 0 ? h : w) - s);
        for (std::int64_t ch = 0; ch < c; ++ch) sign[j][ch] = d.sign();
        flip[j] = d.coin();
      }
      corners = corners.to(clean.device());
      auto& pattern = patterns[s];
      if (!pattern.first.defined()) {
        const auto e = eta(s).to(clean.options());
        pattern = {e.flatten(), e.t().contiguous().flatten()};
      }
      const auto eta_k =
          torch::where(flips.to(clean.device()).view({k, 1, 1}), pattern.second.view({1, 1, -1}),
                       pattern.first.view({1, 1, -1}));
      const auto hw = h * w;
      auto delta = (x - x_clean).contiguous().view({k, c, hw}).clone();
      const auto first = window_indices(corners.select(1, 0), corners.select(1, 1), s, w)
                             .unsqueeze(1)
                             .expand({k, c, s * s});
      const auto second = window_indices(corners.select(1, 2), corners.select(1, 3), s, w)
                              .unsqueeze(1)
                              .expand({k, c, s * s});
      const auto window = delta.gather(2, first);
      const auto window_norm = window.pow(2).sum(2, /*keepdim=*/true).sqrt();
      const auto image_norm = delta.pow(2).sum({1, 2}, /*keepdim=*/true).sqrt();
      const auto both =
          window_mask(corners.select(1, 0), corners.select(1, 1), s, h, w)
              .logical_or(window_mask(corners.select(1, 2), corners.select(1, 3), s, h, w))
              .view({k, 1, hw});
      const auto windows_norm = (delta * both).pow(2).sum({1, 2}, /*keepdim=*/true).sqrt();
      auto fresh =
          eta_k * signs.to(clean.options()).view({k, c, 1}) + window / (1e-12 + window_norm);
      // Each channel's window gets the mass the two windows held plus an equal share of what the
      // ball has left.
      const auto mass = ((eps * eps - image_norm.pow(2)).clamp_min(0) / static_cast<double>(c) +
                         windows_norm.pow(2))
                            .sqrt();
      fresh = fresh / (1e-12 + fresh.pow(2).sum(2, /*keepdim=*/true).sqrt()) * mass;
      delta.scatter_(2, second, 0.0);
      delta.scatter_(2, first, fresh);
      delta = delta.view({k, c, h, w});
      const auto norm = per_image_norm(delta, Norm::kL2);
      candidate = (x_clean + delta / per_image(norm + 1e-12) * eps).clamp(0, 1);
    }

    const auto evaluated = to_saved(candidate, x_clean);
    logits = logits_of(model, evaluated);
    run.queries.index_add_(0, active, torch::ones({k}, device_long));
    const auto margin = margin_of(logits, y);
    const auto won = is_adversarial(logits, y, targeted);
    // Kept only where the loss fell, or the image now succeeds.
    const auto improved = margin.lt(run.margin.index_select(0, active)).logical_or(won);
    const auto to = active.masked_select(improved);
    const auto from = improved.nonzero().flatten();
    x_best.index_copy_(0, to, candidate.index_select(0, from));
    run.images.index_copy_(0, to, evaluated.index_select(0, from));
    run.margin.index_copy_(0, to, margin.index_select(0, from));
    run.success.index_copy_(0, to, won.index_select(0, from));
    active = active.masked_select(won.logical_not());  // a success is never queried again
  }
  return run;
}

AttackResult Square::attack_batch(models::Classifier& model, const torch::Tensor& images,
                                  const torch::Tensor& labels) {
  // A black box: forward passes only, no graph, no gradient.
  torch::NoGradGuard no_grad;
  const auto n = images.size(0);
  // Without image keys, an image's place in its batch keys its draws (as APGD's start).
  const auto keys = batch_keys_.defined() ? batch_keys_.to(torch::kCPU)
                                          : torch::arange(n, torch::TensorOptions(torch::kLong));
  AttackResult result;
  result.images = images.clone();
  result.success = torch::zeros({n}, labels.options().dtype(torch::kBool));
  result.queries = torch::zeros({n}, labels.options().dtype(torch::kLong));
  auto margin = torch::full({n}, std::numeric_limits<float>::infinity(),
                            images.options().dtype(torch::kFloat));
  for (int restart = 0; restart < square_.restarts; ++restart) {
    const auto todo = result.success.logical_not().nonzero().flatten();
    if (todo.numel() == 0) break;
    const auto run = single_run(model, images.index_select(0, todo), labels.index_select(0, todo),
                                keys.index_select(0, todo.to(torch::kCPU)), restart);
    result.queries.index_add_(0, todo, run.queries);
    // An image keeps its lowest-margin image over the restarts (a success ends its runs).
    const auto better = run.success.logical_or(run.margin.lt(margin.index_select(0, todo)));
    const auto to = todo.masked_select(better);
    const auto from = better.nonzero().flatten();
    result.images.index_copy_(0, to, run.images.index_select(0, from));
    margin.index_copy_(0, to, run.margin.index_select(0, from));
    result.success.index_copy_(0, to, run.success.index_select(0, from));
  }
  return result;
}

}  // namespace nnlab::attack
