#include "nnlab/core/binomial_bound.h"

#include <gtest/gtest.h>

#include <cmath>
#include <stdexcept>

namespace nnlab::core {

TEST(BinomialBound, IncompleteBetaMatchesClosedForms) {
  // I_x(1, 1) = x; I_x(a, 1) = x^a; I_x(1, b) = 1 - (1 - x)^b.
  for (const double x : {0.0, 0.1, 0.37, 0.5, 0.93, 1.0}) {
    EXPECT_NEAR(regularized_incomplete_beta(1, 1, x), x, 1e-14);
    EXPECT_NEAR(regularized_incomplete_beta(7, 1, x), std::pow(x, 7), 1e-14);
    EXPECT_NEAR(regularized_incomplete_beta(1, 4, x), 1 - std::pow(1 - x, 4), 1e-14);
    // Symmetry: I_x(a, b) = 1 - I_{1-x}(b, a).
    EXPECT_NEAR(regularized_incomplete_beta(3.5, 2.25, x),
                1 - regularized_incomplete_beta(2.25, 3.5, 1 - x), 1e-14);
  }
}

TEST(BinomialBound, IncompleteBetaMatchesScipy) {
  // scipy.special.betainc(2.5, 3.5, 0.3), betainc(100, 200, 0.35) (scipy 1.10.1)
  EXPECT_NEAR(regularized_incomplete_beta(2.5, 3.5, 0.3), 0.2967529892956661, 1e-12);
  EXPECT_NEAR(regularized_incomplete_beta(100, 200, 0.35), 0.7325714649575363, 1e-11);
}

TEST(BinomialBound, InverseIsTheInverse) {
  for (const double p : {1e-6, 0.001, 0.3, 0.5, 0.999}) {
    const double x = inverse_regularized_incomplete_beta(12, 30, p);
    EXPECT_NEAR(regularized_incomplete_beta(12, 30, x), p, 1e-12 + 1e-9 * p);
  }
  EXPECT_EQ(inverse_regularized_incomplete_beta(2, 3, 0), 0);
  EXPECT_EQ(inverse_regularized_incomplete_beta(2, 3, 1), 1);
}

TEST(BinomialBound, ClopperPearsonClosedForms) {
  // k = n: Beta(n, 1) has CDF x^n, so the lower bound is alpha^(1/n).
  for (const std::int64_t n : {1, 10, 100, 10000}) {
    EXPECT_NEAR(clopper_pearson_lower(n, n, 0.001), std::pow(0.001, 1.0 / n), 1e-12);
    // k = 0: the upper bound solves (1 - x)^n = alpha.
    EXPECT_NEAR(clopper_pearson_upper(0, n, 0.05), 1 - std::pow(0.05, 1.0 / n), 1e-12);
  }
  EXPECT_EQ(clopper_pearson_lower(0, 50, 0.001), 0);
  EXPECT_EQ(clopper_pearson_upper(50, 50, 0.001), 1);
}

TEST(BinomialBound, ClopperPearsonMatchesScipy) {
  // scipy.stats.beta.ppf(alpha, k, n - k + 1) (scipy 1.10.1), the values smoothing certifies with:
  //   beta.ppf(0.001, 9990, 11)  = 0.9975883080325683
  //   beta.ppf(0.001, 5000, 5001) = 0.4845029461135781
  //   beta.ppf(0.05, 3, 8)       = 0.08726443391415033
  //   beta.ppf(0.001, 600, 401)  = 0.5510754739370525
  //   beta.ppf(0.999, 4, 7)      = 0.79536327790071   (the upper bound of 3 in 10)
  EXPECT_NEAR(clopper_pearson_lower(9990, 10000, 0.001), 0.9975883080325683, 1e-10);
  EXPECT_NEAR(clopper_pearson_lower(5000, 10000, 0.001), 0.4845029461135781, 1e-10);
  EXPECT_NEAR(clopper_pearson_lower(3, 10, 0.05), 0.08726443391415033, 1e-10);
  EXPECT_NEAR(clopper_pearson_lower(600, 1000, 0.001), 0.5510754739370525, 1e-10);
  EXPECT_NEAR(clopper_pearson_upper(3, 10, 0.001), 0.79536327790071, 1e-10);
  // More successes, a higher bound; more confidence, a lower one.
  EXPECT_LT(clopper_pearson_lower(600, 1000, 0.001), clopper_pearson_lower(601, 1000, 0.001));
  EXPECT_LT(clopper_pearson_lower(600, 1000, 0.001), clopper_pearson_lower(600, 1000, 0.01));
}

TEST(BinomialBound, BinomialTestMatchesScipy) {
  // scipy.stats.binom.sf(59, 100, 0.5) = 0.02844396682049044;
  // scipy.stats.binomtest(60, 100, 0.5).pvalue = binomtest(40, ...) = 0.05688793364098088
  EXPECT_NEAR(binomial_upper_tail(60, 100, 0.5), 0.02844396682049044, 1e-13);
  EXPECT_NEAR(binomial_test_half(60, 100), 0.05688793364098088, 1e-13);
  EXPECT_NEAR(binomial_test_half(40, 100), 0.05688793364098088, 1e-13);
  EXPECT_EQ(binomial_test_half(50, 100), 1);
  EXPECT_EQ(binomial_upper_tail(0, 10, 0.3), 1);
  EXPECT_EQ(binomial_upper_tail(11, 10, 0.3), 0);
  EXPECT_NEAR(binomial_upper_tail(10, 10, 0.3), std::pow(0.3, 10), 1e-15);
}

TEST(BinomialBound, RejectsBadArguments) {
  EXPECT_THROW(clopper_pearson_lower(5, 4, 0.01), std::invalid_argument);
  EXPECT_THROW(clopper_pearson_lower(1, 0, 0.01), std::invalid_argument);
  EXPECT_THROW(clopper_pearson_lower(1, 4, 0), std::invalid_argument);
  EXPECT_THROW(clopper_pearson_lower(1, 4, 1), std::invalid_argument);
  EXPECT_THROW(regularized_incomplete_beta(0, 1, 0.5), std::invalid_argument);
  EXPECT_THROW(regularized_incomplete_beta(1, 1, 1.5), std::invalid_argument);
}

}  // namespace nnlab::core
