// The size model of Deep Compression's tables (Han, Mao & Dally 2016, tables 1-5): for a model
// and its .nnz form, per clustered weight the weights kept, the bits per weight index and per
// gap at fixed width (Q) and after Huffman coding (H), and the bytes stored; for the whole model
// the bytes at each stage: float32, pruned (P), clustered (P+Q) and the file (P+Q+H).
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "nnlab/compress/nnz_format.h"
#include "nnlab/models/classifier.h"

namespace nnlab::compress {

struct LayerSize {
  std::string name;
  bool sparse = false;  // stored as kept weights and the gaps between them
  std::int64_t weights = 0;
  std::int64_t kept = 0;
  double kept_fraction = 0;
  int weight_bits = 0;             // fixed width of an index into the codebook
  int index_bits = 0;              // fixed width of a gap (sparse), else 0
  double weight_bits_huffman = 0;  // mean bits per index after Huffman coding
  double index_bits_huffman = 0;   // per gap (sparse), else 0
  double bytes_pruned = 0;         // P: kept weights as float32 and fixed-width gaps
  double bytes_quantized = 0;      // P+Q: fixed-width indices and gaps, and the codebook
  double bytes = 0;                // in the file
  double ratio = 0;                // float32 bytes over bytes
  nlohmann::json to_json() const;  // every field but `sparse`
};

struct SizeReport {
  std::vector<LayerSize> layers;  // the clustered tensors, in the file's order
  // The tensors stored as they are (biases, buffers, what was not clustered).
  double rest_elements = 0;
  double rest_bytes = 0;
  std::string rest_format = "float32";  // float32 | float16
  double tensor_bytes = 0;              // every tensor's bytes; the file adds framing and meta
  std::int64_t weights = 0;             // parameters in the file (buffers aside)
  std::int64_t kept = 0;                // of those, kept
  double float_bytes = 0;               // every parameter of the model as float32
  double pruned_bytes = 0;     // P: kept weights float32 + fixed-width gaps; the rest float32
  double quantized_bytes = 0;  // P+Q: fixed-width indices and gaps, codebooks; the rest stored
  double file_bytes = 0;       // P+Q+H: the file
};

// The report of `nnz` (the .nnz form of `model`) whose encoded file has file_bytes bytes.
SizeReport size_report(const models::Classifier& model, const NnzModel& nnz, double file_bytes);

// Mean Huffman-coded bits per symbol of the sequence (0 for none).
double huffman_bits_per_symbol(const std::vector<std::uint32_t>& symbols, std::uint32_t alphabet);

}  // namespace nnlab::compress
