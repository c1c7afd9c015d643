// The .nnz compressed-model file (docs/FORMAT.md): the model's metadata, and per tensor either its
// raw float32 values or a codebook of shared values with Huffman-coded indices -- over every
// element, or, for a pruned tensor, over the kept entries only, whose positions are
// Huffman-coded gaps (compress/sparse_index). Sections are framed by a tag and a length and
// closed by a CRC-32 (zlib's), so that a truncated or corrupted file is an error naming the
// file and what is wrong, never a crash: the reader checks every length against what is left
// before it reads. This is the byte codec; compress/nnz_model.h maps a model to and from it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "nnlab/models/checkpoint.h"

namespace nnlab::compress {

struct NnzTensor {
  enum class Kind : std::uint8_t {
    kRaw = 0,
    kClustered = 1,
    kSparse = 2,
    kHalf = 3,
    kRowClustered = 4,  // one codebook per slice of dim 0 (codebook: shape[0] x k values)
  };
  std::string name;
  std::vector<std::int64_t> shape;
  Kind kind = Kind::kRaw;
  std::vector<float> raw;              // kRaw, kHalf: every element (kHalf: float16 values)
  std::vector<float> codebook;         // kClustered / kSparse: the shared values
  std::vector<std::uint32_t> indices;  // into codebook (kRowClustered: into its row's part);
                                       // kSparse: codebook.size() marks a filler
  int gap_bits = 0;                    // kSparse: width of the stored gaps
  std::vector<std::uint32_t> gaps;     // kSparse: gap - 1 per entry (compress/sparse_index)
};

struct NnzModel {
  models::ModelInfo info;
  nlohmann::json meta = nlohmann::json::object();  // free-form (the compression report)
  std::vector<NnzTensor> tensors;
};

inline constexpr char kNnzMagic[8] = {'N', 'N', 'L', 'A', 'B', 'N', 'N', 'Z'};
// Written: 3 (the metadata deflated). Read: 2 and 3.
inline constexpr std::uint32_t kNnzVersion = 3;
inline constexpr std::uint32_t kNnzOldestVersion = 2;

// True when the bytes (or the file) start with the magic.
bool has_nnz_magic(const std::uint8_t* data, std::size_t size);
bool is_nnz_file(const std::string& path);

// version: kNnzVersion, or 2 (the metadata as plain JSON) for files an older nnlab reads.
// Throws std::invalid_argument for another version.
std::string encode_nnz(const NnzModel& model, std::uint32_t version = kNnzVersion);
// Atomic write.
void save_nnz(const std::string& path, const NnzModel& model);

// Throws core::FileError(source, ...) for anything malformed.
NnzModel decode_nnz(const std::uint8_t* data, std::size_t size, const std::string& source);
NnzModel read_nnz(const std::string& path);

// The dense values of a tensor, in its shape.
torch::Tensor nnz_dense(const NnzTensor& tensor);

// The symbols of a clustered tensor's index stream: its codebook (sparse: and the filler; per
// row: one row's part of the codebook).
std::uint32_t nnz_index_alphabet(const NnzTensor& tensor);

// The bytes a tensor takes in the file (its section: framing, payload and CRC).
std::size_t nnz_tensor_bytes(const NnzTensor& tensor);

}  // namespace nnlab::compress
