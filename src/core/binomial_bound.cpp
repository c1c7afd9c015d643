#include "nnlab/core/binomial_bound.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>

namespace nnlab::core {

namespace {

// The continued fraction of I_x(a, b) (Numerical Recipes' betacf), by the modified Lentz method:
// converges quickly for x < (a + 1) / (a + b + 2).
double beta_continued_fraction(double a, double b, double x) {
  constexpr int kMaxIterations = 100000;
  constexpr double kEpsilon = 1e-16;
  constexpr double kTiny = 1e-300;  // stands in for a zero denominator
  const double qab = a + b, qap = a + 1, qam = a - 1;
  double c = 1;
  double d = 1 - qab * x / qap;
  if (std::abs(d) < kTiny) d = kTiny;
  d = 1 / d;
  double h = d;
  for (int m = 1; m <= kMaxIterations; ++m) {
    const double m2 = 2.0 * m;
    // Even step.
    double aa = m * (b - m) * x / ((qam + m2) * (a + m2));
    d = 1 + aa * d;
    if (std::abs(d) < kTiny) d = kTiny;
    c = 1 + aa / c;
    if (std::abs(c) < kTiny) c = kTiny;
    d = 1 / d;
    h *= d * c;
    // Odd step.
    aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2));
    d = 1 + aa * d;
    if (std::abs(d) < kTiny) d = kTiny;
    c = 1 + aa / c;
    if (std::abs(c) < kTiny) c = kTiny;
    d = 1 / d;
    const double delta = d * c;
    h *= delta;
    if (std::abs(delta - 1) < kEpsilon) return h;
  }
  return h;  // not reached for the a, b of a binomial count below 10^9
}

void check_counts(std::int64_t k, std::int64_t n, const char* what) {
  if (n < 1 || k < 0 || k > n) {
    throw std::invalid_argument(std::string(what) + ": need 0 <= k <= n and n >= 1, got k = " +
                                std::to_string(k) + ", n = " + std::to_string(n));
  }
}

}  // namespace

double regularized_incomplete_beta(double a, double b, double x) {
  if (!(a > 0 && b > 0) || !(x >= 0 && x <= 1))
    throw std::invalid_argument("regularized_incomplete_beta: need a, b > 0 and x in [0, 1]");
  if (x == 0) return 0;
  if (x == 1) return 1;
  // log of x^a (1 - x)^b / B(a, b)
  const double front = std::exp(std::lgamma(a + b) - std::lgamma(a) - std::lgamma(b) +
                                a * std::log(x) + b * std::log1p(-x));
  if (x < (a + 1) / (a + b + 2)) return front * beta_continued_fraction(a, b, x) / a;
  return 1 - front * beta_continued_fraction(b, a, 1 - x) / b;
}

double inverse_regularized_incomplete_beta(double a, double b, double p) {
  if (!(a > 0 && b > 0) || !(p >= 0 && p <= 1))
    throw std::invalid_argument(
        "inverse_regularized_incomplete_beta: need a, b > 0 and p in [0, 1]");
  if (p == 0) return 0;
  if (p == 1) return 1;
  double lo = 0, hi = 1;
  // Bisection to the last representable step: at most ~1100 halvings reach a denormal interval,
  // but the midpoint stops moving long before.
  for (int i = 0; i < 2000; ++i) {
    const double mid = lo + (hi - lo) / 2;
    if (mid <= lo || mid >= hi) break;
    if (regularized_incomplete_beta(a, b, mid) < p) {
      lo = mid;
    } else {
      hi = mid;
    }
  }
  return lo + (hi - lo) / 2;
}

double clopper_pearson_lower(std::int64_t k, std::int64_t n, double alpha) {
  check_counts(k, n, "clopper_pearson_lower");
  if (!(alpha > 0 && alpha < 1))
    throw std::invalid_argument("clopper_pearson_lower: alpha must be in (0, 1)");
  if (k == 0) return 0;
  return inverse_regularized_incomplete_beta(static_cast<double>(k), static_cast<double>(n - k + 1),
                                             alpha);
}

double clopper_pearson_upper(std::int64_t k, std::int64_t n, double alpha) {
  check_counts(k, n, "clopper_pearson_upper");
  if (!(alpha > 0 && alpha < 1))
    throw std::invalid_argument("clopper_pearson_upper: alpha must be in (0, 1)");
  if (k == n) return 1;
  return inverse_regularized_incomplete_beta(static_cast<double>(k + 1), static_cast<double>(n - k),
                                             1 - alpha);
}

double binomial_upper_tail(std::int64_t k, std::int64_t n, double p) {
  if (n < 0 || !(p >= 0 && p <= 1))
    throw std::invalid_argument("binomial_upper_tail: need n >= 0 and p in [0, 1]");
  if (k <= 0) return 1;
  if (k > n) return 0;
  return regularized_incomplete_beta(static_cast<double>(k), static_cast<double>(n - k + 1), p);
}

double binomial_test_half(std::int64_t k, std::int64_t n) {
  check_counts(k, n, "binomial_test_half");
  const std::int64_t m = std::max(k, n - k);
  if (2 * m == n) return 1;
  return std::min(1.0, 2 * binomial_upper_tail(m, n, 0.5));
}

}  // namespace nnlab::core
