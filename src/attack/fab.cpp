#include "nnlab/attack/fab.h"

#include <ATen/CPUGeneratorImpl.h>
#include <torch/torch.h>

#include <algorithm>
#include <limits>
#include <utility>

#include "nnlab/attack/objective.h"
#include "nnlab/attack/pixel_grid.h"
#include "nnlab/core/error.h"
#include "nnlab/core/seed.h"

namespace nnlab::attack {

namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();
// A point of norm eps computed in float32 may come out a hair above the double eps.
constexpr double kNormSlack = 1e-6;

// (n) -> (n, 1, ..., 1) to scale images of x's rank.
torch::Tensor per_image(const torch::Tensor& v, const torch::Tensor& x) {
  std::vector<std::int64_t> shape(x.dim(), 1);
  shape[0] = v.size(0);
  return v.view(shape);
}

// The lambda >= 0 with sum_i weight_i min(lambda, limit_i) = value per row (weight, limit >= 0;
// value >= 0), +inf when even lambda = max limit falls short. The left side is piecewise linear
// and non-decreasing in lambda, with its kinks at the limits: sorted, its value at each kink is
// A_k + limit_(k) R_k (A_k: the sum of weight * limit over the k + 1 smallest limits, R_k: the
// weight of the others); the count m of kinks below `value` names the segment it lies on.
torch::Tensor solve_capped_sum(const torch::Tensor& weight, const torch::Tensor& limit,
                               const torch::Tensor& value) {
  const auto n = weight.size(0);
  const auto dims = weight.size(1);
  const auto sorted = limit.sort(/*dim=*/1);
  const auto& limits = std::get<0>(sorted);
  const auto weights = weight.gather(1, std::get<1>(sorted));
  const auto below = (weights * limits).cumsum(1);  // A_k
  // R_k as a reverse cumulative sum, shifted: no cancellation of a total minus a prefix.
  const auto from = weights.flip(1).cumsum(1).flip(1);
  const auto zero = torch::zeros({n, 1}, weight.options());
  const auto above = torch::cat({from.slice(1, 1), zero}, 1);  // R_k
  const auto at_kinks = below + limits * above;
  const auto m = at_kinks.lt(value.unsqueeze(1)).sum(1).unsqueeze(1);
  // Segment m: lambda between limit_(m-1) (0 for m = 0) and limit_(m).
  const auto a = torch::cat({zero, below}, 1).gather(1, m.clamp_max(dims)).squeeze(1);
  const auto r = torch::cat({from.slice(1, 0, 1), above}, 1).gather(1, m).squeeze(1);
  auto lambda = ((value - a) / r.clamp_min(std::numeric_limits<float>::min())).clamp_min(0);
  lambda = torch::where(m.squeeze(1).eq(dims), torch::full_like(lambda, kInf), lambda);
  return torch::where(value.gt(0), lambda, torch::zeros_like(lambda));
}

// The strongest class other than `labels` per row.
torch::Tensor strongest_other(const torch::Tensor& logits, const torch::Tensor& labels) {
  const auto own = torch::one_hot(labels, logits.size(1)).to(torch::kBool);
  return logits.masked_fill(own, -kInf).argmax(1);
}

torch::Tensor logit(const torch::Tensor& logits, const torch::Tensor& k) {
  return logits.gather(1, k.unsqueeze(1)).squeeze(1);
}

// Adversarial with a margin that float rounding cannot undo: FAB's points hug the boundary, and
// the same image in a batch of another size may come out a few ulps apart. Untargeted:
// max_{j != y} z_j - z_y, targeted: z_t - max_{j != t} z_j, above 1e-5 of the largest |z|.
torch::Tensor clearly_adversarial(const torch::Tensor& logits, const torch::Tensor& labels,
                                  bool targeted) {
  const auto other = logit(logits, strongest_other(logits, labels));
  const auto own = logit(logits, labels);
  const auto margin = targeted ? own - other : other - own;
  return margin > 1e-5 * logits.abs().amax(1).clamp_min(1);
}

// A random start of FAB's restarts: x0 + radius / 2 * u, u on the unit sphere of the norm (Linf:
// U[-1,1]^D scaled to max |u_i| = 1; L2: a normalized Gaussian), clipped to [0,1]. Image i draws
// from a generator seeded core::mix_seed(seed, keys[i], stream).
torch::Tensor sphere_start(const torch::Tensor& clean, const torch::Tensor& radius, Norm norm,
                           const torch::Tensor& keys, std::uint64_t seed, std::uint64_t stream) {
  const auto key = keys.to(torch::kCPU, torch::kLong).contiguous();
  const auto* k = key.data_ptr<std::int64_t>();
  auto u = torch::empty(clean.sizes(), torch::kFloat);
  for (std::int64_t i = 0; i < clean.size(0); ++i) {
    auto generator = at::make_generator<at::CPUGeneratorImpl>(
        core::mix_seed(seed, static_cast<std::uint64_t>(k[i]), stream));
    if (norm == Norm::kLinf) {
      u[i].uniform_(-1, 1, generator);
    } else {
      u[i].normal_(0, 1, generator);
    }
  }
  u = u.to(clean.options());
  u = u / per_image(per_image_norm(u, norm).clamp_min(1e-12), u);
  return (clean + per_image(radius / 2, clean) * u).clamp(0, 1);
}

// The smallest adversarial point found per image, and its norm (inf: none).
struct Best {
  torch::Tensor x;
  torch::Tensor norm;

  // Keeps each candidate that is adversarial and smaller than the best so far.
  void offer(const torch::Tensor& candidate, const torch::Tensor& adversarial,
             const torch::Tensor& clean, Norm p) {
    const auto size = per_image_norm(candidate - clean, p);
    const auto better = adversarial.logical_and(size < norm);
    x = torch::where(per_image(better, x), candidate, x);
    norm = torch::where(better, size, norm);
  }
};

// One run of FAB on n images: both bests, real-valued and (with rounding) of the 8-bit images.
struct RunResult {
  Best real;
  Best saved;
};

}  // namespace

torch::Tensor project_onto_hyperplane(const torch::Tensor& x, const torch::Tensor& w_in,
                                      const torch::Tensor& b, Norm norm) {
  TORCH_CHECK(x.dim() == 2 && w_in.sizes() == x.sizes() && b.dim() == 1 && b.size(0) == x.size(0),
              "project_onto_hyperplane: expected x and w (N, D) and b (N), got ", x.sizes(), ", ",
              w_in.sizes(), ", ", b.sizes());
  const auto above = (w_in * x).sum(1) - b;
  // Flipped so that the plane lies below: w . (x + d) must fall by c >= 0.
  const auto flip = torch::where(above.lt(0), -torch::ones_like(above), torch::ones_like(above));
  const auto w = w_in * flip.unsqueeze(1);
  const auto c = above.abs();
  // A pixel moves against w: down to 0 where w > 0, up to 1 where w < 0.
  const auto room = torch::where(w.gt(0), x, 1 - x);
  if (norm == Norm::kLinf) {
    const auto lambda = solve_capped_sum(w.abs(), room, c).unsqueeze(1);
    return -w.sign() * torch::minimum(room, lambda);
  }
  // L2: d_i = -lambda w_i until pixel i meets its face at lambda = room_i / |w_i|; a pixel with
  // w_i = 0 never moves (its limit is irrelevant: its weight is 0).
  const auto moving = w.ne(0);
  const auto limit = torch::where(
      moving, room / w.abs().clamp_min(std::numeric_limits<float>::min()), torch::zeros_like(room));
  const auto lambda = solve_capped_sum(w * w, limit, c).unsqueeze(1);
  return torch::where(moving, -w * torch::minimum(limit, lambda), torch::zeros_like(w));
}

Fab::Fab(AttackOptions options, FabOptions fab)
    : BatchedAttack(std::move(options)), fab_(fab), norm_(parse_norm(options_.norm)) {
  require_at_least("AttackOptions.steps", options_.steps, 1);
  require_at_least("FabOptions.restarts", fab_.restarts, 1);
  require_at_least("FabOptions.final_search", fab_.final_search, 0);
  require_at_least("FabOptions.eta", fab_.eta, 1);
  require_at_least("FabOptions.target_classes", fab_.target_classes, kAutoTargets);
  if (!(fab_.alpha_max >= 0 && fab_.alpha_max <= 1)) {
    throw core::OptionError("FabOptions.alpha_max",
                            "must be in [0, 1], got " + std::to_string(fab_.alpha_max));
  }
  if (!(fab_.beta > 0 && fab_.beta <= 1)) {
    throw core::OptionError("FabOptions.beta",
                            "must be in (0, 1], got " + std::to_string(fab_.beta));
  }
  if (fab_.target_classes != 0 && options_.targeted) {
    throw core::OptionError("FabOptions.target_classes",
                            "FAB-T picks its own targets; it cannot run a targeted attack");
  }
}

namespace {

// What one run needs besides its images.
struct RunSetup {
  models::Classifier* model;
  Norm norm;
  const FabOptions* fab;
  bool targeted;  // options.targeted: labels are targets
  bool round;
  int steps;
};

// The linearization at x of the boundary to cross, per image: h(x) (n) and grad h (n, ...).
// Untargeted (no targets, not targeted): the nearest of the boundaries z_k = z_y by
// |h_k| / ||grad h_k||_dual, one backward per class; FAB-T: z_t = z_y; targeted: z_t = z_r with r
// the strongest other class at x.
std::pair<torch::Tensor, torch::Tensor> boundary(const RunSetup& setup, const torch::Tensor& x,
                                                 const torch::Tensor& labels,
                                                 const torch::Tensor& targets) {
  const auto input = x.detach().requires_grad_(true);
  const auto logits = setup.model->forward(input);
  const auto pick = [&logits](const torch::Tensor& k) { return logit(logits, k); };
  if (targets.defined() || setup.targeted) {
    const auto toward = targets.defined() ? targets : labels;
    const auto from = targets.defined() ? labels : strongest_other(logits.detach(), labels);
    const auto h = pick(toward) - pick(from);
    const auto g = torch::autograd::grad({h.sum()}, {input})[0];
    return {h.detach(), g};
  }
  const auto reference = pick(labels);
  const auto classes = logits.size(1);
  torch::Tensor best_h, best_g, best_distance;
  for (std::int64_t k = 0; k < classes; ++k) {
    const auto h = logits.select(1, k) - reference;
    const auto g = torch::autograd::grad({h.sum()}, {input}, /*grad_outputs=*/{},
                                         /*retain_graph=*/k + 1 < classes)[0];
    const auto flat = g.flatten(1);
    // The distance to the linearized boundary in the attack's norm: |h| over the dual norm.
    const auto dual = setup.norm == Norm::kLinf ? flat.abs().sum(1) : flat.norm(2, 1);
    const auto distance = (h.detach().abs() / (dual + 1e-12)).masked_fill(labels.eq(k), kInf);
    if (k == 0) {
      best_h = h.detach();
      best_g = g;
      best_distance = distance;
      continue;
    }
    const auto closer = distance < best_distance;
    best_distance = torch::where(closer, distance, best_distance);
    best_h = torch::where(closer, h.detach(), best_h);
    best_g = torch::where(per_image(closer, g), g, best_g);
  }
  return {best_h, best_g};
}

// One run of FAB on n images from `x` (the clean images or a random start): the smallest
// adversarial points it finds, real-valued and (with rounding) on the 8-bit grid.
RunResult run_once(const RunSetup& setup, const torch::Tensor& clean, const torch::Tensor& labels,
                   const torch::Tensor& targets, torch::Tensor x) {
  auto& model = *setup.model;
  const auto& fab = *setup.fab;
  const auto n = clean.size(0);
  const auto inf = torch::full({n}, kInf, clean.options());
  RunResult best{{clean.clone(), inf.clone()}, {clean.clone(), inf.clone()}};
  // The logits of point, offered if adversarial; with rounding its 8-bit image is judged and
  // offered as well.
  const auto judge = [&](const torch::Tensor& point) {
    torch::Tensor logits;
    if (setup.round) {
      // One forward pass for both: half the calls for a small model.
      const auto saved = quantize_8bit(point);
      const auto both = logits_of(model, torch::cat({point, saved}));
      logits = both.slice(0, 0, n);
      best.saved.offer(saved, clearly_adversarial(both.slice(0, n), labels, setup.targeted), clean,
                       setup.norm);
    } else {
      logits = logits_of(model, point);
    }
    best.real.offer(point, clearly_adversarial(logits, labels, setup.targeted), clean, setup.norm);
    return logits;
  };
  const auto x0 = clean.flatten(1);
  for (int step = 0; step < setup.steps; ++step) {
    const auto [h, g] = boundary(setup, x, labels, targets);
    const auto w = g.flatten(1);
    const auto xf = x.flatten(1);
    const auto b = (w * xf).sum(1) - h;  // the linearized boundary: w . z = b
    // From x and from x0 at once.
    const auto d = project_onto_hyperplane(torch::cat({xf, x0}), torch::cat({w, w}),
                                           torch::cat({b, b}), setup.norm);
    const auto d1 = d.slice(0, 0, n);
    const auto d2 = d.slice(0, n);
    const auto a1 = per_image_norm(d1, setup.norm).clamp_min(1e-8);
    const auto a2 = per_image_norm(d2, setup.norm).clamp_min(1e-8);
    const auto alpha = (a1 / (a1 + a2)).clamp(0, fab.alpha_max).unsqueeze(1);
    const auto next = ((xf + fab.eta * d1) * (1 - alpha) + (x0 + fab.eta * d2) * alpha)
                          .clamp(0, 1)
                          .view_as(clean);
    const auto adversarial = clearly_adversarial(judge(next), labels, setup.targeted);
    // After a success, back toward x0: the next steps look for a closer crossing.
    x = torch::where(per_image(adversarial, next), clean + fab.beta * (next - clean), next);
  }
  // The final search on the segment from x0 to the best point: lo stays on the model's side, hi
  // adversarial. The boundary between them is taken as that of one pair of classes, linear
  // along the segment for a linear model: untargeted, hi's class against y; targeted, the target
  // against lo's strongest other class (the reference: hi's class against y). An image without a
  // success has hi = lo = x0 and stays.
  auto lo = clean;
  auto hi = best.real.x;
  auto logits_lo = logits_of(model, lo);
  auto logits_hi = logits_of(model, hi);
  for (int step = 0; step < fab.final_search; ++step) {
    const auto up_class = setup.targeted ? labels : logits_hi.argmax(1);
    const auto down_class = setup.targeted ? strongest_other(logits_lo, labels) : labels;
    const auto h_lo = logit(logits_lo, up_class) - logit(logits_lo, down_class);
    const auto h_hi = logit(logits_hi, up_class) - logit(logits_hi, down_class);
    // Aimed a little past h = 0, so that a point on the boundary of a linear model counts.
    const auto aim = 2e-5 * logits_hi.abs().amax(1).clamp_min(1);
    auto t = (aim - h_lo) / (h_hi - h_lo);
    t = torch::where(t.ge(0).logical_and(t.le(1)), t, torch::ones_like(t));  // NaN too
    const auto point = lo + per_image(t, lo) * (hi - lo);
    const auto logits = judge(point);
    const auto adversarial = clearly_adversarial(logits, labels, setup.targeted);
    const auto up = per_image(adversarial, point);
    hi = torch::where(up, point, hi);
    lo = torch::where(up, lo, point);
    logits_hi = torch::where(adversarial.unsqueeze(1), logits, logits_hi);
    logits_lo = torch::where(adversarial.unsqueeze(1), logits_lo, logits);
  }
  if (!setup.round) best.saved = best.real;
  return best;
}

// Rows `rows` of `into` take `from`'s where it is smaller.
void merge(Best& into, const Best& from, const torch::Tensor& rows) {
  const auto better = from.norm < into.norm.index_select(0, rows);
  const auto which = better.nonzero().flatten();
  const auto to = rows.index_select(0, which);
  into.x.index_copy_(0, to, from.x.index_select(0, which));
  into.norm.index_copy_(0, to, from.norm.index_select(0, which));
}

}  // namespace

AttackResult Fab::attack_batch(models::Classifier& model, const torch::Tensor& images,
                               const torch::Tensor& labels) {
  const auto n = images.size(0);
  const bool targeted = options_.targeted;
  const bool round = options_.round_to_8bit;
  const double eps = options_.epsilon;
  const auto saved_clean = round ? quantize_8bit(images) : images;
  const auto clean_logits = logits_of(model, images);
  // The model already gets these wrong (or right, targeted): nothing to attack.
  const auto attacked = is_adversarial(clean_logits, labels, targeted).logical_not();
  const auto clean_success = round ? is_adversarial(logits_of(model, saved_clean), labels, targeted)
                                   : attacked.logical_not();
  const auto inf = torch::full({n}, kInf, images.options());
  Best real{images.clone(), inf.clone()};
  Best saved{saved_clean.clone(), inf.clone()};
  saved.offer(saved_clean, clean_success, images, norm_);

  int targets_per_image = 0;
  torch::Tensor ranked;
  if (fab_.target_classes != 0) {
    const auto classes = clean_logits.size(1);
    targets_per_image = fab_.target_classes == kAutoTargets
                            ? static_cast<int>(std::min<std::int64_t>(9, classes - 1))
                            : fab_.target_classes;
    if (targets_per_image >= classes) {
      throw core::OptionError("FabOptions.target_classes",
                              std::to_string(targets_per_image) + " targets need at least " +
                                  std::to_string(targets_per_image + 1) +
                                  " classes; the model has " + std::to_string(classes));
    }
    ranked = clean_logits.argsort(1, /*descending=*/true);
  }
  // Without image keys, an image's place in its batch keys its draws (repeatable under the seed).
  const auto keys = batch_keys_.defined() ? batch_keys_ : torch::arange(n, torch::kLong);
  const RunSetup setup{&model, norm_, &fab_, targeted, round, options_.steps};
  run_targets_.clear();
  const int runs = std::max(targets_per_image, 1) * fab_.restarts;
  for (int run = 0; run < runs; ++run) {
    const int restart = run % fab_.restarts;
    const auto open = attacked.logical_and(saved.norm > eps + kNormSlack).nonzero().flatten();
    torch::Tensor targets;
    if (targets_per_image > 0) {
      // Run r attacks toward the (r / restarts + 2)-th most likely class on the clean image.
      const auto all = ranked.select(1, run / fab_.restarts + 1);
      targets = all.index_select(0, open);
      run_targets_.push_back(torch::full_like(labels, -1).index_copy_(0, open, targets));
    }
    if (open.numel() == 0) continue;
    const auto clean = images.index_select(0, open);
    auto start = clean;
    if (restart > 0) {
      const auto radius = real.norm.index_select(0, open).clamp_max(eps);
      start = sphere_start(clean, radius, norm_, keys.index_select(0, open.to(keys.device())),
                           options_.seed, static_cast<std::uint64_t>(run));
    }
    const auto found = run_once(setup, clean, labels.index_select(0, open), targets, start);
    merge(real, found.real, open);
    merge(saved, found.saved, open);
  }
  const auto within = saved.norm <= eps + kNormSlack;
  return {torch::where(per_image(within, images), saved.x, saved_clean),
          within.logical_or(clean_success),
          {}};
}

}  // namespace nnlab::attack
