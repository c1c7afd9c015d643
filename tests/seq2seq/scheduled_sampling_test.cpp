#include "nnlab/seq2seq/scheduled_sampling.h"

#include <gtest/gtest.h>

#include <cmath>

#include "nnlab/core/error.h"

namespace nnlab::seq2seq {
namespace {

TEST(ScheduledSampling, SchedulesAtStartMiddleAndEnd) {
  ScheduledSamplingOptions linear;
  linear.schedule = "linear";
  linear.slope = 0.05;
  linear.floor = 0.5;
  EXPECT_DOUBLE_EQ(teacher_forcing_probability(linear, 0), 1.0);
  EXPECT_NEAR(teacher_forcing_probability(linear, 5), 0.75, 1e-12);
  EXPECT_DOUBLE_EQ(teacher_forcing_probability(linear, 40), 0.5);  // the floor

  ScheduledSamplingOptions exponential;
  exponential.schedule = "exponential";
  exponential.k = 0.9;
  exponential.floor = 0.2;
  EXPECT_DOUBLE_EQ(teacher_forcing_probability(exponential, 0), 1.0);
  EXPECT_NEAR(teacher_forcing_probability(exponential, 10), std::pow(0.9, 10), 1e-12);
  EXPECT_DOUBLE_EQ(teacher_forcing_probability(exponential, 100), 0.2);

  ScheduledSamplingOptions sigmoid;
  sigmoid.schedule = "inverse-sigmoid";
  sigmoid.k = 5;
  sigmoid.floor = 0.1;
  EXPECT_NEAR(teacher_forcing_probability(sigmoid, 0), 5.0 / 6.0, 1e-12);
  EXPECT_NEAR(teacher_forcing_probability(sigmoid, 5 * std::log(5.0)), 0.5, 1e-12);
  EXPECT_DOUBLE_EQ(teacher_forcing_probability(sigmoid, 100), 0.1);

  // The probability of feeding the model's own prediction only rises.
  for (const auto* o : {&linear, &exponential, &sigmoid}) {
    double previous = 2;
    for (double epoch = 0; epoch < 60; epoch += 0.5) {
      const double p = teacher_forcing_probability(*o, epoch);
      EXPECT_LE(p, previous) << o->schedule << " at " << epoch;
      previous = p;
    }
  }
}

TEST(ScheduledSampling, NoneAndWarmUpKeepTeacherForcing) {
  ScheduledSamplingOptions none;
  EXPECT_DOUBLE_EQ(teacher_forcing_probability(none, 50), 1.0);
  ScheduledSamplingOptions warm;
  warm.schedule = "linear";
  warm.slope = 0.1;
  warm.floor = 0;
  warm.start_epoch = 3;
  EXPECT_DOUBLE_EQ(teacher_forcing_probability(warm, 2.9), 1.0);
  EXPECT_NEAR(teacher_forcing_probability(warm, 5), 0.8, 1e-12);
}

TEST(ScheduledSampling, BadOptionsAreRejected) {
  ScheduledSamplingOptions o;
  o.schedule = "cosine";
  EXPECT_THROW(o.validate(), core::OptionError);
  o.schedule = "exponential";
  o.k = 1.5;
  EXPECT_THROW(o.validate(), core::OptionError);
  o.schedule = "inverse-sigmoid";
  o.k = 0.5;
  EXPECT_THROW(o.validate(), core::OptionError);
  o.k = 2;
  o.floor = 1.5;
  EXPECT_THROW(o.validate(), core::OptionError);
}

}  // namespace
}  // namespace nnlab::seq2seq
