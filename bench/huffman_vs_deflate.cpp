// nnlab's canonical Huffman codec against zlib's deflate on the index streams of a compressed
// model: for each clustered tensor of a .nnz file, its cluster indices (and, for a pruned
// tensor, its gaps) as one byte per symbol; sizes and encode / decode speeds (MB/s of symbols,
// median of --repeats runs). Prints a markdown table.
//
//   bench_huffman_vs_deflate MODEL.nnz [REPEATS=20]
#include <zlib.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <functional>
#include <stdexcept>
#include <string>
#include <vector>

#include "nnlab/compress/huffman.h"
#include "nnlab/compress/nnz_format.h"

namespace {

using Clock = std::chrono::steady_clock;

double median_seconds(int repeats, const std::function<void()>& work) {
  std::vector<double> times;
  for (int i = 0; i < repeats; ++i) {
    const auto start = Clock::now();
    work();
    times.push_back(std::chrono::duration<double>(Clock::now() - start).count());
  }
  std::sort(times.begin(), times.end());
  return times[times.size() / 2];
}

void row(const std::string& name, const std::vector<std::uint32_t>& symbols, std::uint32_t alphabet,
         int repeats) {
  if (symbols.empty()) return;
  const double mb = static_cast<double>(symbols.size()) / 1e6;  // one byte per symbol
  nnlab::compress::HuffmanStream stream;
  const double encode =
      median_seconds(repeats, [&] { stream = nnlab::compress::huffman_encode(symbols, alphabet); });
  const double decode = median_seconds(repeats, [&] {
    const auto out = nnlab::compress::huffman_decode(stream.lengths, stream.bytes.data(),
                                                     stream.bytes.size(), stream.count);
    if (out.size() != symbols.size()) throw std::runtime_error("huffman round trip");
  });
  const std::size_t huffman_bytes = stream.bytes.size() + stream.lengths.size();

  const std::vector<Bytef> bytes(symbols.begin(), symbols.end());
  std::vector<Bytef> packed(compressBound(static_cast<uLong>(bytes.size())));
  uLongf packed_size = 0;
  const double deflate = median_seconds(repeats, [&] {
    packed_size = static_cast<uLongf>(packed.size());
    if (compress2(packed.data(), &packed_size, bytes.data(), static_cast<uLong>(bytes.size()),
                  Z_BEST_COMPRESSION) != Z_OK) {
      throw std::runtime_error("deflate");
    }
  });
  std::vector<Bytef> back(bytes.size());
  const double inflate = median_seconds(repeats, [&] {
    uLongf size = static_cast<uLongf>(back.size());
    if (uncompress(back.data(), &size, packed.data(), packed_size) != Z_OK || size != back.size()) {
      throw std::runtime_error("inflate");
    }
  });
  std::printf("| %s | %zu | %u | %zu | %lu | %.0f | %.0f | %.0f | %.0f |\n", name.c_str(),
              symbols.size(), alphabet, huffman_bytes, static_cast<unsigned long>(packed_size),
              mb / encode, mb / deflate, mb / decode, mb / inflate);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s MODEL.nnz [REPEATS]\n", argv[0]);
    return 2;
  }
  const int repeats = argc > 2 ? std::stoi(argv[2]) : 20;
  try {
    const auto model = nnlab::compress::read_nnz(argv[1]);
    std::printf(
        "| stream | symbols | alphabet | Huffman bytes (with its code lengths) | deflate-9 "
        "bytes | Huffman encode MB/s | deflate MB/s | Huffman decode MB/s | inflate "
        "MB/s |\n|---|---:|---:|---:|---:|---:|---:|---:|---:|\n");
    for (const auto& t : model.tensors) {
      if (t.kind == nnlab::compress::NnzTensor::Kind::kRaw ||
          t.kind == nnlab::compress::NnzTensor::Kind::kHalf) {
        continue;
      }
      const bool sparse = t.kind == nnlab::compress::NnzTensor::Kind::kSparse;
      row(t.name + " indices", t.indices, nnlab::compress::nnz_index_alphabet(t), repeats);
      if (sparse) row(t.name + " gaps", t.gaps, std::uint32_t{1} << t.gap_bits, repeats);
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "%s\n", e.what());
    return 1;
  }
  return 0;
}
