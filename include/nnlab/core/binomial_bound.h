// Confidence bounds on a binomial proportion, for the certificates of randomized smoothing
// (attack/randomized_smoothing.h): the exact (Clopper-Pearson) interval and the binomial test,
// both through the regularized incomplete beta function I_x(a, b) = P(Beta(a, b) <= x).
//   I_x(a, b): the continued fraction of Numerical Recipes (3rd ed., section 6.4) evaluated by the
//              modified Lentz method, on the side of (a + 1) / (a + b + 2) where it converges fast.
//   its inverse in x: bisection (I_x is increasing in x), to double precision.
// The product has no Boost.Math or scipy; tests/core/binomial_bound_test.cpp checks these against
// closed forms and values of scipy.stats.beta.
#pragma once

#include <cstdint>

namespace nnlab::core {

// I_x(a, b) for a, b > 0 and x in [0, 1].
double regularized_incomplete_beta(double a, double b, double x);

// The x in [0, 1] with I_x(a, b) = p (scipy.stats.beta.ppf(p, a, b)), for p in [0, 1].
double inverse_regularized_incomplete_beta(double a, double b, double p);

// One-sided Clopper-Pearson lower bound on the success probability after k successes in n
// trials, at confidence 1 - alpha: Beta(k, n - k + 1)'s alpha quantile (0 when k = 0). Cohen et
// al.'s lowerConfBound: statsmodels' proportion_confint(k, n, alpha=2*alpha, method="beta")[0].
double clopper_pearson_lower(std::int64_t k, std::int64_t n, double alpha);

// The matching upper bound: Beta(k + 1, n - k)'s 1 - alpha quantile (1 when k = n).
double clopper_pearson_upper(std::int64_t k, std::int64_t n, double alpha);

// P(X >= k) for X ~ Binomial(n, p): I_p(k, n - k + 1).
double binomial_upper_tail(std::int64_t k, std::int64_t n, double p);

// The two-sided p-value of k successes in n trials against p = 1/2 (scipy.stats.binom_test(k, n,
// 0.5)): 2 P(X >= max(k, n - k)), at most 1.
double binomial_test_half(std::int64_t k, std::int64_t n);

}  // namespace nnlab::core
