// Writes the fuzzer's seed corpus: small valid .nnz files of every tensor kind the writer
// produces, in every version the reader reads (2: metadata as plain JSON; 3: deflated), so that
// mutations start from each parser path.
//
//   make_seed DIR     writes DIR/v<version>-<kind>.nnz
//
// A new tensor kind (int8 is next) gets its seed here: add it to seed_files() below, both alone
// and in "all", and it is fuzzed in every version that can hold it.
#include <cstdint>
#include <fstream>
#include <iostream>
#include <string>
#include <utility>
#include <vector>

#include "nnlab/compress/nnz_format.h"
#include "nnlab/compress/sparse_index.h"
#include "nnlab/models/registry.h"

namespace {

using nnlab::compress::NnzTensor;

NnzTensor raw(std::string name, std::vector<std::int64_t> shape, std::vector<float> values) {
  NnzTensor t;
  t.name = std::move(name);
  t.shape = std::move(shape);
  t.kind = NnzTensor::Kind::kRaw;
  t.raw = std::move(values);
  return t;
}

NnzTensor half(std::string name, std::vector<std::int64_t> shape, std::vector<float> values) {
  auto t = raw(std::move(name), std::move(shape), std::move(values));
  t.kind = NnzTensor::Kind::kHalf;
  return t;
}

// Every element an index into one codebook (k-means centroids or uniform levels alike).
NnzTensor clustered(std::string name, std::vector<std::int64_t> shape, std::vector<float> codebook,
                    std::vector<std::uint32_t> indices) {
  NnzTensor t;
  t.name = std::move(name);
  t.shape = std::move(shape);
  t.kind = NnzTensor::Kind::kClustered;
  t.codebook = std::move(codebook);
  t.indices = std::move(indices);
  return t;
}

// One codebook per row (per-channel uniform levels): indices into the row's part.
NnzTensor row_clustered(std::string name, std::int64_t rows, std::int64_t columns,
                        std::int64_t levels) {
  NnzTensor t;
  t.name = std::move(name);
  t.shape = {rows, columns};
  t.kind = NnzTensor::Kind::kRowClustered;
  for (std::int64_t r = 0; r < rows; ++r) {
    for (std::int64_t q = 0; q < levels; ++q) {
      t.codebook.push_back(0.1f * static_cast<float>(r + 1) * static_cast<float>(q - levels / 2));
    }
  }
  for (std::int64_t i = 0; i < rows * columns; ++i) {
    t.indices.push_back(static_cast<std::uint32_t>((i * 7 + i / columns) % levels));
  }
  return t;
}

// A pruned tensor: the kept positions as gaps of `bits` bits (fillers where a gap is too wide).
NnzTensor sparse(std::string name, std::int64_t numel, const std::vector<std::int64_t>& kept,
                 std::vector<float> codebook, int bits) {
  NnzTensor t;
  t.name = std::move(name);
  t.shape = {numel};
  t.kind = NnzTensor::Kind::kSparse;
  t.codebook = std::move(codebook);
  const auto entries = nnlab::compress::encode_positions(kept, bits);
  t.gap_bits = bits;
  t.gaps = entries.gaps;
  const auto filler = static_cast<std::uint32_t>(t.codebook.size());
  for (std::size_t e = 0; e < entries.positions.size(); ++e) {
    t.indices.push_back(entries.filler[e] ? filler
                                          : static_cast<std::uint32_t>(e % t.codebook.size()));
  }
  return t;
}

std::vector<std::pair<std::string, std::vector<NnzTensor>>> seed_files() {
  const std::vector<std::int64_t> kept = {0, 1, 5, 6, 40, 41, 42, 90, 300, 301, 399};
  std::vector<std::pair<std::string, std::vector<NnzTensor>>> files = {
      {"float32",
       {raw("fc.weight", {2, 3}, {1.0f, -2.0f, 0.5f, 0.0f, 3.25f, -0.125f}),
        raw("scalar", {}, {7.0f}), raw("empty", {0, 4}, {})}},
      {"float16", {half("fc.bias", {5}, {0.5f, -3.0f, 65504.0f, 1e-7f, 0.0f})}},
      {"kmeans",  // an odd alphabet: the last code-length byte has a zero high nibble
       {clustered("conv.weight", {2, 2, 3}, {-0.71f, 0.02f, 0.33f, 1.4f, -2.2f},
                  {0, 1, 2, 3, 4, 4, 3, 2, 1, 0, 2, 2})}},
      {"levels",  // uniform levels, 16 of them, most in use
       {clustered("fc2.weight", {4, 8},
                  {-1.0f, -0.875f, -0.75f, -0.625f, -0.5f, -0.375f, -0.25f, -0.125f, 0.0f, 0.125f,
                   0.25f, 0.375f, 0.5f, 0.625f, 0.75f, 0.875f},
                  {0,  1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15,
                   15, 8, 8, 8, 8, 8, 7, 9, 0, 1, 2,  8,  8,  8,  8,  8})}},
      {"rows", {row_clustered("fc3.weight", 3, 5, 4)}},
      {"sparse-1bit", {sparse("fc1.weight", 400, kept, {-0.5f, 0.25f, 1.0f}, 1)}},
      {"sparse-3bit", {sparse("fc1.weight", 400, kept, {-0.5f, 0.25f}, 3)}},
      {"sparse-8bit", {sparse("fc1.weight", 400, kept, {0.75f}, 8)}},
  };
  std::vector<NnzTensor> all;
  for (const auto& [kind, tensors] : files) all.insert(all.end(), tensors.begin(), tensors.end());
  files.emplace_back("all", std::move(all));
  return files;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::cerr << "usage: make_seed DIR\n";
    return 2;
  }
  const std::string dir = argv[1];
  nnlab::compress::NnzModel model;
  model.info = nnlab::models::find_model("lenet300").defaults;
  model.meta = {{"method", "seed"}};
  int written = 0;
  for (const auto& [kind, tensors] : seed_files()) {
    model.tensors = tensors;
    for (std::uint32_t version = nnlab::compress::kNnzOldestVersion;
         version <= nnlab::compress::kNnzVersion; ++version) {
      const auto path = dir + "/v" + std::to_string(version) + "-" + kind + ".nnz";
      const auto bytes = nnlab::compress::encode_nnz(model, version);
      // Each seed must decode, or the corpus starts from an error path only.
      (void)nnlab::compress::decode_nnz(reinterpret_cast<const std::uint8_t*>(bytes.data()),
                                        bytes.size(), path);
      std::ofstream(path, std::ios::binary) << bytes;
      ++written;
    }
  }
  std::cout << "make_seed: " << written << " files in " << dir << "\n";
  return 0;
}
