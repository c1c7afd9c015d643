#include "nnlab/compress/size_report.h"

#include <c10/util/accumulate.h>

#include <algorithm>
#include <cmath>
#include <map>

#include "nnlab/compress/huffman.h"

namespace nnlab::compress {

nlohmann::json LayerSize::to_json() const {
  return {{"name", name},
          {"weights", weights},
          {"kept", kept},
          {"kept_fraction", kept_fraction},
          {"weight_bits", weight_bits},
          {"index_bits", index_bits},
          {"weight_bits_huffman", weight_bits_huffman},
          {"index_bits_huffman", index_bits_huffman},
          {"bytes_pruned", bytes_pruned},
          {"bytes_quantized", bytes_quantized},
          {"bytes", bytes},
          {"ratio", ratio}};
}

double huffman_bits_per_symbol(const std::vector<std::uint32_t>& symbols, std::uint32_t alphabet) {
  if (symbols.empty()) return 0;
  return static_cast<double>(huffman_encode(symbols, alphabet).bit_count) /
         static_cast<double>(symbols.size());
}

SizeReport size_report(const models::Classifier& model, const NnzModel& nnz, double file_bytes) {
  SizeReport r;
  r.file_bytes = file_bytes;
  std::map<std::string, bool> is_parameter;
  for (const auto& [name, p] : model.named_parameters()) {
    is_parameter[name] = true;
    r.float_bytes += static_cast<double>(p.numel()) * 4;
  }
  double rest_float = 0;
  for (const auto& t : nnz.tensors) {
    const auto n = c10::multiply_integers(t.shape);
    const auto stored = static_cast<double>(nnz_tensor_bytes(t));
    r.tensor_bytes += stored;
    if (t.kind == NnzTensor::Kind::kRaw || t.kind == NnzTensor::Kind::kHalf) {
      r.rest_elements += static_cast<double>(n);
      r.rest_bytes += stored;
      if (t.kind == NnzTensor::Kind::kHalf) r.rest_format = "float16";
      if (is_parameter.count(t.name)) {
        rest_float += static_cast<double>(n) * 4;
        r.weights += n;
        r.kept += n;
      }
      continue;
    }
    LayerSize layer;
    layer.name = t.name;
    layer.sparse = t.kind == NnzTensor::Kind::kSparse;
    const auto k = static_cast<double>(t.codebook.size());
    layer.weight_bits = static_cast<int>(std::ceil(std::log2(std::max(2.0, k))));
    const auto entries = static_cast<double>(t.indices.size());
    layer.weights = n;
    layer.kept = n;
    if (layer.sparse) {
      // The filler index (one past the codebook) marks the gap entries that hold no weight.
      const auto filler = static_cast<std::uint32_t>(t.codebook.size());
      layer.kept = std::count_if(t.indices.begin(), t.indices.end(),
                                 [filler](std::uint32_t i) { return i != filler; });
      layer.index_bits = t.gap_bits;
    }
    const double float_layer = static_cast<double>(n) * 4;
    layer.bytes_pruned = layer.sparse ? entries * (32 + t.gap_bits) / 8 : float_layer;
    layer.bytes_quantized = entries * (layer.weight_bits + layer.index_bits) / 8 + 4 * k;
    r.pruned_bytes += layer.bytes_pruned;
    r.quantized_bytes += layer.bytes_quantized;
    r.weights += n;
    r.kept += layer.kept;
    layer.weight_bits_huffman = huffman_bits_per_symbol(t.indices, nnz_index_alphabet(t));
    layer.index_bits_huffman =
        layer.sparse ? huffman_bits_per_symbol(t.gaps, std::uint32_t{1} << t.gap_bits) : 0;
    layer.kept_fraction = static_cast<double>(layer.kept) / static_cast<double>(n);
    layer.bytes = stored;
    layer.ratio = float_layer / stored;
    r.layers.push_back(std::move(layer));
  }
  r.pruned_bytes += rest_float;
  r.quantized_bytes += r.rest_bytes;
  return r;
}

}  // namespace nnlab::compress
