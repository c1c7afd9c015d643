// Weight sharing: uniform levels as clusters (decoding like fake quantization, honouring the
// pruning mask) and k-means (centroids read back, well-separated clusters found, pruned weights
// kept out, centroid fine-tuning keeping clusters shared).
#include "nnlab/compress/weight_clustering.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include "nnlab/compress/fake_quantization.h"
#include "nnlab/models/registry.h"

namespace nnlab::compress {

TEST(UniformQuantization, AsClustersDecodesLikeDequantizeAndHonoursTheMask) {
  torch::manual_seed(4);
  const auto w = torch::randn({8, 6});
  const auto mask = (torch::rand({8, 6}) > 0.5).to(torch::kUInt8);
  const auto c = uniform_clusters(w, {}, {3, false, false});
  EXPECT_EQ(c.centroids.numel(), 8);
  EXPECT_TRUE(torch::allclose(clustered_weights(c),
                              dequantize_uniform(quantize_uniform(w, {3, false, false}))));
  const auto masked = uniform_clusters(w, mask, {3, false, false});
  EXPECT_TRUE(torch::equal(masked.indices.lt(0), mask.eq(0)));
}

TEST(UniformQuantization, SymmetricAndPerChannelClustersDecodeLikeDequantize) {
  torch::manual_seed(5);
  const auto w =
      torch::randn({4, 3, 2, 2}) * torch::tensor({1.0f, 0.1f, 3.0f, 0.01f}).view({4, 1, 1, 1});
  for (const bool per_channel : {false, true}) {
    for (const bool symmetric : {false, true}) {
      const UniformQuantizationOptions options{4, per_channel, symmetric};
      const auto c = uniform_clusters(w, {}, options);
      EXPECT_EQ(c.centroids.numel(), per_channel ? 4 * 16 : 16);
      EXPECT_GE(c.indices.min().item<std::int64_t>(), 0);
      EXPECT_LT(c.indices.max().item<std::int64_t>(), c.centroids.numel());
      EXPECT_TRUE(
          torch::allclose(clustered_weights(c), dequantize_uniform(quantize_uniform(w, options))))
          << per_channel << symmetric;
    }
  }
}

TEST(KMeans, UpdateCentroidsReadsEachClustersValueBack) {
  ClusteredTensor c{torch::tensor({0.0f, 1.0f}), torch::tensor({0, 1, -1, 1}, torch::kLong)};
  update_centroids(c, torch::tensor({0.5f, 2.0f, 7.0f, 2.0f}));
  EXPECT_TRUE(torch::equal(c.centroids, torch::tensor({0.5f, 2.0f})));
}

TEST(KMeans, FindsWellSeparatedClustersAndUsesAtMostKValues) {
  torch::manual_seed(1);
  const auto w = torch::cat(
      {torch::randn({200}) * 0.01 - 1, torch::randn({200}) * 0.01, torch::randn({200}) * 0.01 + 2});
  const auto c = kmeans_cluster(w, {}, {/*bits=*/2, 50});
  const auto shared = clustered_weights(c);
  EXPECT_LE(std::get<0>(torch::_unique(shared)).numel(), 4);
  EXPECT_LT((shared - w).abs().max().item<float>(), 0.1);
  // Linear initialization over [min, max] and Lloyd steps: the three modes are centroids.
  for (const float mode : {-1.0f, 0.0f, 2.0f}) {
    EXPECT_LT((c.centroids - mode).abs().min().item<float>(), 0.01) << mode;
  }
}

TEST(KMeans, PrunedWeightsStayZeroAndOutOfTheClusters) {
  torch::manual_seed(2);
  const auto w = torch::randn({50, 20});
  const auto mask = (torch::rand({50, 20}) > 0.7).to(torch::kUInt8);
  const auto c = kmeans_cluster(w * mask, mask, {4, 50});
  EXPECT_TRUE(torch::equal(c.indices.lt(0), mask.eq(0)));
  const auto shared = clustered_weights(c);
  EXPECT_EQ(shared.masked_select(mask.eq(0)).abs().sum().item<float>(), 0.0f);
  // The kept weights are within half the widest gap between neighbouring centroids.
  EXPECT_LT((shared - w).masked_select(mask.ne(0)).abs().max().item<float>(), 0.5);
  EXPECT_THROW(kmeans_cluster(w, {}, {0, 10}), std::invalid_argument);
}

TEST(KMeans, CentroidFineTuningKeepsClustersShared) {
  torch::manual_seed(3);
  auto model = models::create_model("lenet300");
  std::vector<std::pair<std::string, ClusteredTensor>> clusters;
  {
    torch::NoGradGuard no_grad;
    for (auto& [name, p] : model.named_parameters()) {
      if (p.dim() != 2) continue;
      auto c = kmeans_cluster(p, {}, {3, 30});
      p.copy_(clustered_weights(c));
      clusters.emplace_back(name, std::move(c));
    }
  }
  auto hooks = cluster_gradient_hooks(clusters);
  torch::optim::Adam adam(model.parameters(), torch::optim::AdamOptions(1e-2));
  for (int step = 0; step < 3; ++step) {
    adam.zero_grad();
    const auto logits = model(torch::rand({16, 1, 28, 28}));
    torch::nn::functional::cross_entropy(logits, torch::randint(0, 10, {16})).backward();
    hooks.after_backward(model);
    adam.step();
  }
  for (const auto& [name, p] : model.named_parameters()) {
    if (p.dim() != 2) continue;
    EXPECT_LE(std::get<0>(torch::_unique(p.detach())).numel(), 8) << name;  // still 2^3 values
  }
}

}  // namespace nnlab::compress
