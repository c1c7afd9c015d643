// Clustering a whole model: every Linear and Conv weight ends with at most 2^bits distinct
// values (a layer's own bits over the conv / fc ones), pruned weights stay zero and out of the
// clusters, biases are untouched, centroid tuning keeps the sharing, and bad options are refused
// by their field's name.
#include "nnlab/compress/model_clustering.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <map>

#include "compress/compress_test_util.h"
#include "nnlab/compress/magnitude_pruning.h"
#include "nnlab/core/error.h"

namespace nnlab::compress {

namespace {

using testing_util::distinct_values;
using testing_util::tiny_model;
using testing_util::tiny_tuning;

std::map<std::string, torch::Tensor> parameters_of(const models::Classifier& model) {
  std::map<std::string, torch::Tensor> out;
  for (const auto& [name, p] : model.named_parameters()) out[name] = p.detach().clone();
  return out;
}

}  // namespace

TEST(ClusterModel, EachWeightHasAtMostTwoToTheBitsValuesAndBiasesStay) {
  auto model = tiny_model("lenet5");
  const auto before = parameters_of(model);
  ClusterOptions options;
  options.conv_bits = 3;
  options.fc_bits = 2;
  options.layer_bits["fc3.weight"] = 4;
  const auto clusters = cluster_model(model, options);
  ASSERT_EQ(clusters.size(), prunable_weights(model).size());
  const auto after = parameters_of(model);
  for (const auto& [name, c] : clusters) {
    const auto& p = after.at(name);
    const int bits = name == "fc3.weight" ? 4 : p.dim() > 2 ? 3 : 2;
    EXPECT_LE(distinct_values(p), std::int64_t{1} << bits) << name;
    EXPECT_EQ(c.centroids.numel(), std::int64_t{1} << bits) << name;
    EXPECT_TRUE(torch::equal(clustered_weights(c), p)) << name;
  }
  for (const auto& [name, p] : after) {
    if (p.dim() < 2) {
      EXPECT_TRUE(torch::equal(p, before.at(name))) << name;
    }
  }
}

TEST(ClusterModel, PrunedWeightsStayZeroAndOutOfTheClusters) {
  auto model = tiny_model("lenet300");
  MagnitudePruningOptions pruning;
  pruning.sparsity = 0.8;
  const auto masks = magnitude_prune(model, pruning);
  masks.apply(model);
  ClusterOptions options;
  options.fc_bits = 2;
  for (const auto& [name, c] : cluster_model(model, options, masks)) {
    const auto mask = masks.mask_of(name);
    ASSERT_TRUE(mask.defined()) << name;
    EXPECT_TRUE(torch::equal(c.indices.lt(0), mask.eq(0))) << name;
  }
  for (const auto& [name, p] : model.named_parameters()) {
    const auto mask = masks.mask_of(name);
    if (!mask.defined()) continue;
    EXPECT_EQ(p.masked_select(mask.eq(0)).count_nonzero().item<std::int64_t>(), 0) << name;
    // Zero for the pruned ones, at most four shared values for the kept ones.
    EXPECT_LE(distinct_values(p), 5) << name;
  }
}

TEST(ClusterModel, UniformLevelsAndCentroidTuningKeepTheSharing) {
  auto uniform = tiny_model("lenet300");
  ClusterOptions levels;
  levels.method = "uniform";
  levels.fc_bits = 3;
  for (const auto& [name, c] : cluster_model(uniform, levels)) {
    EXPECT_EQ(c.centroids.numel(), 8) << name;
  }

  auto model = tiny_model("lenet300");
  ClusterOptions options;
  options.fc_bits = 2;
  auto clusters = cluster_model(model, options);
  const auto centroids_before = clusters.front().second.centroids.clone();
  tune_centroids(model, clusters, tiny_tuning(1), /*round=*/1);
  EXPECT_FALSE(torch::equal(clusters.front().second.centroids, centroids_before));
  const auto after = parameters_of(model);
  for (const auto& [name, c] : clusters) {
    EXPECT_LE(distinct_values(after.at(name)), 4) << name;
    EXPECT_TRUE(torch::allclose(clustered_weights(c), after.at(name))) << name;
  }
}

TEST(ClusterModel, RefusesBadOptionsByTheirFieldsName) {
  auto model = tiny_model("lenet300");
  const auto refused = [&](ClusterOptions options, const std::string& field) {
    testing_util::expect_option_error([&] { cluster_model(model, options); }, field);
  };
  ClusterOptions method;
  method.method = "median";
  refused(method, "ClusterOptions.method");
  ClusterOptions bits;
  bits.fc_bits = 17;
  refused(bits, "ClusterOptions.fc_bits");
  ClusterOptions uniform_one_bit;
  uniform_one_bit.method = "uniform";
  uniform_one_bit.conv_bits = 1;
  refused(uniform_one_bit, "ClusterOptions.conv_bits");
  ClusterOptions layer;
  layer.layer_bits["fc9.weight"] = 4;
  refused(layer, "ClusterOptions.layer_bits");
}

}  // namespace nnlab::compress
