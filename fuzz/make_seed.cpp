// Writes a small valid .nnz (raw, clustered and sparse tensors) as the fuzzer's seed corpus.
#include <fstream>

#include "nnlab/compress/nnz_format.h"
#include "nnlab/models/registry.h"

int main(int argc, char** argv) {
  using nnlab::compress::NnzTensor;
  nnlab::compress::NnzModel model;
  model.info = nnlab::models::create_model("lenet300").info();
  NnzTensor raw{"a", {3}, NnzTensor::Kind::kRaw, {1.0f, -2.0f, 0.5f}, {}, {}, 0, {}};
  NnzTensor clustered{
      "b", {2, 3}, NnzTensor::Kind::kClustered, {}, {0.25f, -1.0f}, {0, 1, 1, 0, 0, 1}, 0, {}};
  NnzTensor sparse{"c", {40}, NnzTensor::Kind::kSparse, {}, {0.5f, 2.0f}, {0, 2, 1}, 3, {1, 7, 5}};
  NnzTensor half{"d", {2}, NnzTensor::Kind::kHalf, {0.5f, -3.0f}, {}, {}, 0, {}};
  model.tensors = {raw, clustered, sparse, half};
  std::ofstream(argc > 1 ? argv[1] : "seed.nnz", std::ios::binary)
      << nnlab::compress::encode_nnz(model);
  return 0;
}
