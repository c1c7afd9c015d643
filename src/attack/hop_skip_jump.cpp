#include "nnlab/attack/hop_skip_jump.h"

#include <ATen/CPUGeneratorImpl.h>
#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <utility>
#include <vector>

#include "nnlab/attack/pixel_grid.h"
#include "nnlab/core/error.h"
#include "nnlab/core/seed.h"

namespace nnlab::attack {

namespace {

constexpr std::int64_t kNoiseDraws = 10000;  // the reference gives up (asserts) after as many
constexpr double kBlendTolerance = 0.001;    // the reference's blend search toward the clean image
constexpr int kMaxHalvings = 30;             // the step search's safety net (see the header)
// The gradient probes of all images of a phase are drawn and judged together, in groups of at
// most kProbeElements pixels; the oracle runs the model on at most kForwardElements pixels at a
// time. Small enough that the temporaries (and a LeNet's activations) are reused from the heap
// instead of mapped and faulted in anew for every forward: 16 times larger pieces made a
// Fashion-MNIST run spend as much time in page faults as in the model.
constexpr std::int64_t kProbeElements = std::int64_t{1} << 21;
constexpr std::int64_t kForwardElements = std::int64_t{1} << 19;

// (K) -> (K, 1, ..., 1) to scale images of x's rank.
torch::Tensor per_image(const torch::Tensor& v, const torch::Tensor& x) {
  std::vector<std::int64_t> shape(x.dim(), 1);
  shape[0] = v.size(0);
  return v.view(shape);
}

// One batch's attack: the per-image state and the phases of the algorithm. Rows of the state are
// the batch's images; `rows` arguments are (K) int64 CPU indices into them.
class Run {
 public:
  Run(LabelOracle& oracle, const torch::Tensor& clean, Norm norm, const HopSkipJumpOptions& hsj,
      const AttackOptions& options, const torch::Tensor& keys)
      : oracle_(oracle), clean_(clean), norm_(norm), hsj_(hsj), options_(options) {
    n_ = clean.size(0);
    pixels_ = clean[0].numel();
    const double d = static_cast<double>(pixels_);
    theta_ = norm == Norm::kL2 ? hsj.gamma / (d * std::sqrt(d)) : hsj.gamma / (d * d);
    // Half a level per pixel: how far rounding to the 8-bit grid can move an image.
    rounding_margin_ = norm == Norm::kL2 ? 0.5 / 255 * std::sqrt(d) : 0.5 / 255;
    const auto key = keys.to(torch::kCPU, torch::kLong).contiguous();
    for (std::int64_t i = 0; i < n_; ++i) {
      generators_.push_back(at::make_generator<at::CPUGeneratorImpl>(
          core::mix_seed(options.seed, static_cast<std::uint64_t>(key[i].item<std::int64_t>()),
                         /*stream=*/0)));
    }
    saved_clean_ =
        options.round_to_8bit ? quantize_in_ball(clean, clean, options.epsilon, norm) : clean;
    result_ = saved_clean_.clone();
    current_ = clean.clone();
    best_ = clean.clone();
    best_dist_ = torch::full({n_}, std::numeric_limits<double>::infinity(), torch::kDouble);
    dist_post_ = torch::zeros({n_}, torch::kDouble);
    failed_checks_ = torch::zeros({n_}, torch::kLong);
    success_ = torch::zeros({n_}, torch::kBool);
    live_ = torch::ones({n_}, torch::kBool);
  }

  void run() {
    // An image that is already adversarial costs one query and is returned as it is.
    const auto all = torch::arange(n_, torch::kLong);
    const auto adversarial = oracle_.adversarial(saved_clean_, all).to(torch::kCPU);
    success_ = adversarial.clone();
    best_dist_.masked_fill_(adversarial, 0.0);
    live_ = adversarial.logical_not();

    start();
    settle(live_rows());
    for (int t = 1; t <= hsj_.iterations; ++t) {
      const auto evals = std::min<std::int64_t>(
          static_cast<std::int64_t>(hsj_.init_evals * std::sqrt(static_cast<double>(t))),
          hsj_.max_evals);
      // An iteration starts only when its gradient estimate is affordable: a run with a smaller
      // budget is then a prefix of one with a larger budget.
      live_.logical_and_(oracle_.remaining() >= evals);
      const auto rows = live_rows();
      if (rows.numel() == 0) break;
      iterate(rows, t, evals);
      settle(rows);
    }
  }

  AttackResult result() const {
    AttackResult out;
    out.images = result_;
    out.success = success_.to(clean_.device());
    out.queries = oracle_.queries().clone();
    return out;
  }
  const torch::Tensor& distances() const { return best_dist_; }

 private:
  torch::Tensor live_rows() const { return live_.nonzero().flatten(); }
  torch::Tensor on_device(const torch::Tensor& rows) const { return rows.to(clean_.device()); }
  torch::Tensor take(const torch::Tensor& images, const torch::Tensor& rows) const {
    return images.index_select(0, on_device(rows));
  }
  // (K) double on the CPU.
  torch::Tensor distance(const torch::Tensor& a, const torch::Tensor& b) const {
    return per_image_norm(a - b, norm_).to(torch::kCPU, torch::kDouble);
  }
  torch::Tensor affordable(const torch::Tensor& rows, std::int64_t queries) const {
    return oracle_.remaining().index_select(0, rows) >= queries;
  }

  // Uniform noise until it is adversarial (one draw per image and round, every image of the
  // round in one forward), blended toward the clean image, then moved to the boundary.
  void start() {
    auto noise = torch::zeros_like(clean_);
    auto found = torch::zeros({n_}, torch::kBool);
    const auto one_image = clean_.sizes().slice(1).vec();
    std::vector<std::int64_t> shape = {1};
    shape.insert(shape.end(), one_image.begin(), one_image.end());
    for (std::int64_t draw = 0; draw < kNoiseDraws; ++draw) {
      const auto candidates = live_.logical_and(found.logical_not());
      const auto rows = candidates.logical_and(oracle_.remaining() >= 1).nonzero().flatten();
      if (rows.numel() == 0) break;
      std::vector<torch::Tensor> draws;
      for (std::int64_t k = 0; k < rows.numel(); ++k) {
        draws.push_back(torch::empty(shape, torch::kFloat)
                            .uniform_(0, 1, generators_[rows[k].item<std::int64_t>()]));
      }
      const auto images = torch::cat(draws).to(clean_.options());
      const auto adversarial = oracle_.adversarial(images, rows).to(torch::kCPU);
      const auto hit = rows.masked_select(adversarial);
      found.index_fill_(0, hit, true);
      noise.index_copy_(0, on_device(hit),
                        images.index_select(0, on_device(adversarial.nonzero().flatten())));
    }
    // No adversarial noise within the budget (a targeted run toward a class noise never hits):
    // the image fails and keeps its clean result.
    live_.logical_and_(found);
    const auto rows = live_rows();
    if (rows.numel() == 0) return;
    const auto k = rows.numel();
    const auto blended =
        boundary(rows, take(noise, rows), Norm::kL2, torch::ones({k}, torch::kDouble),
                 torch::full({k}, kBlendTolerance, torch::kDouble));
    to_boundary(rows, blended);
  }

  // The binary search toward the clean image from adversarial points `far` (K rows), to within
  // `tolerance` of the blend factor (projection L2: (1 - a) clean + a far, from a = high = 1) or
  // of the Linf radius (projection Linf: far clipped to [clean - a, clean + a], from a = high =
  // its Linf distance). Every image stops when its budget does, with its last adversarial point.
  torch::Tensor boundary(const torch::Tensor& rows, const torch::Tensor& far, Norm projection,
                         torch::Tensor high, const torch::Tensor& tolerance) {
    const auto clean = take(clean_, rows);
    auto low = torch::zeros_like(high);
    auto out = far.clone();
    for (;;) {
      const auto pending =
          (high - low > tolerance).logical_and(affordable(rows, 1)).nonzero().flatten();
      if (pending.numel() == 0) break;
      const auto mid = (high.index_select(0, pending) + low.index_select(0, pending)) / 2;
      const auto p = on_device(pending);
      const auto a = per_image(mid.to(clean.options()), clean);
      const auto x = clean.index_select(0, p);
      const auto y = far.index_select(0, p);
      const auto images =
          projection == Norm::kL2 ? (1 - a) * x + a * y : torch::min(torch::max(y, x - a), x + a);
      const auto adversarial =
          oracle_.adversarial(images, rows.index_select(0, pending)).to(torch::kCPU);
      const auto hit = pending.masked_select(adversarial);
      const auto miss = pending.masked_select(adversarial.logical_not());
      high.index_copy_(0, hit, mid.masked_select(adversarial));
      low.index_copy_(0, miss, mid.masked_select(adversarial.logical_not()));
      out.index_copy_(0, on_device(hit),
                      images.index_select(0, on_device(adversarial.nonzero().flatten())));
    }
    return out;
  }

  // The boundary search of the attack's norm from adversarial points `far` (threshold theta),
  // which become the images' current points; the smallest so far is kept.
  void to_boundary(const torch::Tensor& rows, const torch::Tensor& far) {
    const auto dist = distance(far, take(clean_, rows));
    dist_post_.index_copy_(0, rows, dist);
    const auto k = rows.numel();
    const auto points =
        norm_ == Norm::kL2
            ? boundary(rows, far, norm_, torch::ones({k}, torch::kDouble),
                       torch::full({k}, theta_, torch::kDouble))
            : boundary(rows, far, norm_, dist.clone(), (dist * theta_).clamp_max(theta_));
    current_.index_copy_(0, on_device(rows), points);
    const auto reached = distance(points, take(clean_, rows));
    const auto better = reached < best_dist_.index_select(0, rows);
    const auto improved = rows.masked_select(better);
    best_dist_.index_copy_(0, improved, reached.masked_select(better));
    best_.index_copy_(0, on_device(improved),
                      points.index_select(0, on_device(better.nonzero().flatten())));
  }

  // One iteration for `rows`: gradient direction at the current points, the geometric step
  // search, the boundary search from the new point.
  void iterate(const torch::Tensor& rows, int t, std::int64_t evals) {
    const auto x = take(current_, rows);
    const auto delta =
        t == 1 ? torch::full({rows.numel()}, 0.1, torch::kDouble)
               : hsj_.gamma * dist_post_.index_select(0, rows) / static_cast<double>(pixels_);
    const auto direction = estimate_direction(rows, x, delta, evals);
    const auto update = norm_ == Norm::kL2 ? direction : direction.sign();

    auto xi = distance(x, take(clean_, rows)) / std::sqrt(static_cast<double>(t));
    auto accepted = torch::zeros({rows.numel()}, torch::kBool);
    for (int halving = 0; halving <= kMaxHalvings; ++halving) {
      const auto pending =
          accepted.logical_not().logical_and(affordable(rows, 1)).nonzero().flatten();
      if (pending.numel() == 0) break;
      const auto p = on_device(pending);
      const auto candidate =
          x.index_select(0, p) +
          per_image(xi.index_select(0, pending).to(x.options()), x) * update.index_select(0, p);
      const auto adversarial =
          oracle_.adversarial(candidate, rows.index_select(0, pending)).to(torch::kCPU);
      accepted.index_fill_(0, pending.masked_select(adversarial), true);
      const auto miss = pending.masked_select(adversarial.logical_not());
      xi.index_copy_(0, miss, xi.index_select(0, miss) / 2);
    }
    const auto moved = accepted.nonzero().flatten();
    if (moved.numel() == 0) return;
    const auto m = on_device(moved);
    const auto far =
        (x.index_select(0, m) +
         per_image(xi.index_select(0, moved).to(x.options()), x) * update.index_select(0, m))
            .clamp(0, 1);
    to_boundary(rows.index_select(0, moved), far);
  }

  // The Monte-Carlo estimate of the boundary's normal at points x (K rows): `evals` probes
  // x + delta u per image, u a random unit vector (Gaussian direction for L2, uniform cube for
  // Linf), clipped to [0,1]; the mean of u weighted by the probe's decision (+1 adversarial,
  // -1 not) minus their mean (the reference's baseline), or by the decisions alone when they all
  // agree. Returns unit L2 vectors.
  torch::Tensor estimate_direction(const torch::Tensor& rows, const torch::Tensor& x,
                                   const torch::Tensor& delta, std::int64_t evals) {
    const auto k = rows.numel();
    const auto per_group =
        std::max<std::int64_t>(1, kProbeElements / std::max<std::int64_t>(1, evals * pixels_));
    std::vector<torch::Tensor> directions;
    auto probe_shape = x.sizes().vec();
    for (std::int64_t from = 0; from < k; from += per_group) {
      const auto to = std::min(k, from + per_group);
      const auto g = to - from;
      probe_shape[0] = g * evals;
      auto u = torch::empty(probe_shape, torch::kFloat);
      for (std::int64_t j = 0; j < g; ++j) {
        auto& generator = generators_[rows[from + j].item<std::int64_t>()];
        auto slice = u.slice(0, j * evals, (j + 1) * evals);
        if (norm_ == Norm::kL2) {
          slice.normal_(0, 1, generator);
        } else {
          slice.uniform_(-1, 1, generator);
        }
      }
      u = u.to(x.options());
      u = u / per_image(per_image_norm(u, Norm::kL2).clamp_min(1e-12), u);
      const auto base = x.slice(0, from, to).repeat_interleave(evals, 0);
      const auto step =
          per_image(delta.slice(0, from, to).to(x.options()).repeat_interleave(evals, 0), base);
      const auto probes = (base + step * u).clamp(0, 1);
      u = (probes - base) / step;  // what the clipping left of each probe's direction
      const auto owner = rows.slice(0, from, to).repeat_interleave(evals, 0);
      const auto decisions =
          oracle_.adversarial(probes, owner).to(x.scalar_type()).view({g, evals});
      auto sign = 2 * decisions - 1;
      const auto hits = decisions.sum(1, /*keepdim=*/true);
      const auto agree = hits.eq(0).logical_or(hits.eq(static_cast<double>(evals)));
      sign = torch::where(agree, sign, sign - sign.mean(1, /*keepdim=*/true));
      auto shape = x.sizes().vec();
      shape.insert(shape.begin() + 1, evals);
      shape[0] = g;
      std::vector<std::int64_t> weight_shape(shape.size(), 1);
      weight_shape[0] = g;
      weight_shape[1] = evals;
      const auto direction = (sign.view(weight_shape) * u.view(shape)).mean(1);
      directions.push_back(
          direction / per_image(per_image_norm(direction, Norm::kL2).clamp_min(1e-12), direction));
    }
    return torch::cat(directions);
  }

  // Images whose smallest adversarial point is within epsilon succeed and stop. With rounding
  // their 8-bit image is checked first (one query): the point is pushed along the ray from the
  // clean image by the rounding margin (doubled after every failed check) and kept in the ball.
  void settle(const torch::Tensor& rows) {
    if (rows.numel() == 0) return;
    const auto within = rows.masked_select(best_dist_.index_select(0, rows) <= options_.epsilon);
    if (within.numel() == 0) return;
    const auto w = on_device(within);
    if (!options_.round_to_8bit) {
      result_.index_copy_(0, w, best_.index_select(0, w));
      success_.index_fill_(0, within, true);
      live_.index_fill_(0, within, false);
      return;
    }
    const auto check = within.masked_select(affordable(within, 1));
    if (check.numel() == 0) return;
    const auto c = on_device(check);
    const auto clean = clean_.index_select(0, c);
    const auto dist = best_dist_.index_select(0, check);
    const auto push = torch::pow(2.0, failed_checks_.index_select(0, check).to(torch::kDouble));
    const auto reach =
        torch::min(dist + rounding_margin_ * push, torch::full_like(dist, options_.epsilon));
    const auto scale =
        torch::where(dist > 0, reach / dist.clamp_min(1e-300), torch::ones_like(dist));
    const auto ray =
        clean + per_image(scale.to(clean.options()), clean) * (best_.index_select(0, c) - clean);
    const auto candidate = quantize_in_ball(ray, clean, options_.epsilon, norm_);
    const auto adversarial = oracle_.adversarial(candidate, check).to(torch::kCPU);
    const auto won = check.masked_select(adversarial);
    result_.index_copy_(0, on_device(won),
                        candidate.index_select(0, on_device(adversarial.nonzero().flatten())));
    success_.index_fill_(0, won, true);
    live_.index_fill_(0, won, false);
    const auto lost = check.masked_select(adversarial.logical_not());
    failed_checks_.index_copy_(0, lost, failed_checks_.index_select(0, lost) + 1);
  }

  LabelOracle& oracle_;
  torch::Tensor clean_;
  Norm norm_;
  HopSkipJumpOptions hsj_;
  AttackOptions options_;
  std::int64_t n_ = 0;
  std::int64_t pixels_ = 0;
  double theta_ = 0;
  double rounding_margin_ = 0;
  std::vector<at::Generator> generators_;
  torch::Tensor saved_clean_;  // what an image that fails returns
  torch::Tensor result_;       // (N, ...) on the device: what is returned
  torch::Tensor current_;      // the boundary point each image's iterations start from
  torch::Tensor best_;         // the smallest adversarial point found
  // Per image on the CPU.
  torch::Tensor best_dist_;      // double: its distance
  torch::Tensor dist_post_;      // double: the last step's point before its binary search
  torch::Tensor failed_checks_;  // int64: rounded images that were not adversarial
  torch::Tensor success_;        // bool
  torch::Tensor live_;           // bool: still querying
};

}  // namespace

LabelOracle::LabelOracle(models::Classifier& model, torch::Tensor goals, bool targeted,
                         std::int64_t budget)
    : model_(model),
      goals_(std::move(goals)),
      targeted_(targeted),
      budget_(budget),
      queries_(torch::zeros({goals_.size(0)}, torch::kLong)) {}

torch::Tensor LabelOracle::adversarial(const torch::Tensor& x, const torch::Tensor& owner) {
  TORCH_CHECK(x.size(0) == owner.numel(), "LabelOracle: ", x.size(0), " images for ", owner.numel(),
              " owners");
  const auto owner_cpu = owner.to(torch::kCPU, torch::kLong);
  auto spent = queries_.clone();
  spent.index_add_(0, owner_cpu, torch::ones_like(owner_cpu));
  TORCH_CHECK(spent.max().item<std::int64_t>() <= budget_,
              "LabelOracle: a query past the budget of ", budget_);
  queries_ = spent;
  if (x.size(0) == 0) return torch::zeros({0}, goals_.options().dtype(torch::kBool));
  torch::NoGradGuard no_grad;
  const auto rows_per_forward = std::max<std::int64_t>(1, kForwardElements / x[0].numel());
  std::vector<torch::Tensor> labels;
  for (std::int64_t from = 0; from < x.size(0); from += rows_per_forward) {
    const auto to = std::min(x.size(0), from + rows_per_forward);
    labels.push_back(model_.forward(x.slice(0, from, to).clamp(0, 1)).argmax(1));
  }
  const auto predicted = torch::cat(labels);
  const auto goals = goals_.index_select(0, owner_cpu.to(goals_.device()));
  return targeted_ ? predicted.eq(goals) : predicted.ne(goals);
}

HopSkipJump::HopSkipJump(AttackOptions options, HopSkipJumpOptions hsj)
    : BatchedAttack(std::move(options)), hsj_(hsj), norm_(parse_norm(options_.norm)) {
  require_at_least("HopSkipJumpOptions.max_queries", static_cast<double>(hsj_.max_queries), 1);
  require_at_least("HopSkipJumpOptions.iterations", hsj_.iterations, 1);
  require_at_least("HopSkipJumpOptions.init_evals", hsj_.init_evals, 1);
  require_at_least("HopSkipJumpOptions.max_evals", hsj_.max_evals, hsj_.init_evals);
  require_positive("HopSkipJumpOptions.gamma", hsj_.gamma);
}

AttackResult HopSkipJump::attack_batch(models::Classifier& model, const torch::Tensor& images,
                                       const torch::Tensor& labels) {
  // Without image keys, an image's place in its batch keys its draws (as APGD's start).
  const auto keys =
      batch_keys_.defined() ? batch_keys_ : torch::arange(images.size(0), torch::kLong);
  LabelOracle oracle(model, labels, options_.targeted, hsj_.max_queries);
  Run run(oracle, images, norm_, hsj_, options_, keys);
  run.run();
  distances_ = run.distances();
  return run.result();
}

}  // namespace nnlab::attack
