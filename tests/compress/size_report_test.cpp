// The size model: Huffman bits per symbol by hand, and for a pruned, clustered model its .nnz
// form's report adding up -- the layers' bytes and the rest's are the tensors' bytes, the file adds
// only framing; each layer's kept count, bits and fixed-width bytes are what its tensor holds.
#include "nnlab/compress/size_report.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <algorithm>
#include <cmath>

#include "compress/compress_test_util.h"
#include "nnlab/compress/magnitude_pruning.h"
#include "nnlab/compress/model_clustering.h"
#include "nnlab/compress/nnz_model.h"

namespace nnlab::compress {

TEST(SizeReport, HuffmanBitsPerSymbolByHand) {
  EXPECT_DOUBLE_EQ(huffman_bits_per_symbol({}, 4), 0.0);
  // Code lengths 1, 2, 2: (1 + 1 + 2 + 2) / 4.
  EXPECT_DOUBLE_EQ(huffman_bits_per_symbol({0, 0, 1, 2}, 3), 1.5);
}

TEST(SizeReport, TheNumbersAddUpToTheFile) {
  auto model = testing_util::tiny_model("lenet5");
  MagnitudePruningOptions pruning;
  pruning.sparsity = 0.8;
  pruning.layers = {"fc1.weight", "fc2.weight"};  // conv and fc3 stay dense
  const auto masks = magnitude_prune(model, pruning);
  masks.apply(model);
  ClusterOptions clustering;
  clustering.conv_bits = 4;
  clustering.fc_bits = 3;
  const auto clusters = cluster_model(model, clustering, masks);
  NnzOptions options;
  options.half_precision_rest = true;
  const auto nnz = nnz_from_model(model, clusters, options);
  const auto bytes = encode_nnz(nnz);
  const auto r = size_report(model, nnz, static_cast<double>(bytes.size()));

  EXPECT_EQ(r.file_bytes, static_cast<double>(bytes.size()));
  ASSERT_EQ(r.layers.size(), clusters.size());
  double layer_bytes = 0;
  std::int64_t parameters = 0;
  for (const auto& p : model.parameters()) parameters += p.numel();
  for (const auto& layer : r.layers) {
    layer_bytes += layer.bytes;
    const auto mask = masks.mask_of(layer.name);
    EXPECT_EQ(layer.sparse, mask.defined()) << layer.name;
    const auto kept = mask.defined() ? mask.count_nonzero().item<std::int64_t>() : layer.weights;
    EXPECT_EQ(layer.kept, kept) << layer.name;
    // The bits of the codebook the file holds: the centroids some weight uses, at most 2^bits.
    std::size_t codebook = 0;
    for (const auto& t : nnz.tensors) {
      if (t.name == layer.name) codebook = t.codebook.size();
    }
    EXPECT_EQ(layer.weight_bits,
              static_cast<int>(std::ceil(std::log2(std::max<double>(2, codebook)))))
        << layer.name;
    EXPECT_LE(layer.weight_bits, layer.name.rfind("conv", 0) == 0 ? 4 : 3) << layer.name;
    EXPECT_LE(layer.weight_bits_huffman, layer.weight_bits + 1e-9) << layer.name;
    EXPECT_DOUBLE_EQ(layer.ratio, static_cast<double>(layer.weights) * 4 / layer.bytes);
    if (!layer.sparse) {  // one index per weight at fixed width, and the float32 codebook
      EXPECT_DOUBLE_EQ(layer.bytes_quantized,
                       static_cast<double>(layer.weights) * layer.weight_bits / 8 +
                           4 * static_cast<double>(codebook));
      EXPECT_DOUBLE_EQ(layer.bytes_pruned, static_cast<double>(layer.weights) * 4);
    } else {
      EXPECT_LT(layer.bytes_pruned, static_cast<double>(layer.weights) * 4);
      EXPECT_GT(layer.index_bits, 0);
    }
  }
  EXPECT_EQ(r.rest_format, "float16");
  EXPECT_DOUBLE_EQ(layer_bytes + r.rest_bytes, r.tensor_bytes);
  EXPECT_LT(r.tensor_bytes, r.file_bytes);
  EXPECT_LT(r.file_bytes - r.tensor_bytes, 4096);  // framing and the META section
  EXPECT_EQ(r.weights, parameters);
  EXPECT_DOUBLE_EQ(r.float_bytes, static_cast<double>(parameters) * 4);
  EXPECT_LT(r.kept, r.weights);
  EXPECT_LT(r.quantized_bytes, r.pruned_bytes);
  EXPECT_LT(r.pruned_bytes, r.float_bytes);
}

}  // namespace nnlab::compress
