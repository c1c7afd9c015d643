#include "nnlab/compress/nnz_format.h"

#include <c10/util/Half.h>
#include <torch/torch.h>
#include <zlib.h>

#include <cstring>
#include <fstream>
#include <iterator>
#include <limits>
#include <map>

#include "nnlab/compress/huffman.h"
#include "nnlab/compress/sparse_index.h"
#include "nnlab/core/atomic_file.h"
#include "nnlab/core/error.h"
#include "nnlab/core/format_version.h"
#include "nnlab/models/finite_weights.h"
#include "nnlab/models/state_dict.h"

namespace nnlab::compress {

namespace {

constexpr std::size_t kMaxHuffmanAlphabet = std::size_t{1} << 17;
// Sizes a file may claim: 2^28 elements per tensor (VGG-16's largest has 103 M), 2^30 in all.
// A sparse tensor decodes densely, so without a bound a file of a few bytes could ask for
// terabytes (found by the fuzzer).
constexpr std::uint64_t kMaxElements = std::uint64_t{1} << 28;
constexpr std::uint64_t kMaxTotalElements = std::uint64_t{1} << 30;
// The metadata (architecture, class names, report) is a few hundred bytes; 16 MiB is far beyond
// any real one and bounds what a damaged length can make the reader allocate.
constexpr std::uint32_t kMaxMetadataBytes = std::uint32_t{1} << 24;

class Writer {
 public:
  template <typename T>
  void put(T value) {  // little-endian on every platform nnlab builds on
    const auto* p = reinterpret_cast<const char*>(&value);
    out_.append(p, sizeof(T));
  }
  void bytes(const void* data, std::size_t n) {
    if (n > 0) out_.append(static_cast<const char*>(data), n);
  }
  std::string& str() { return out_; }

 private:
  std::string out_;
};

class Reader {
 public:
  Reader(const std::uint8_t* data, std::size_t size, std::string source, std::string where)
      : data_(data), size_(size), source_(std::move(source)), where_(std::move(where)) {}
  template <typename T>
  T get() {
    T value;
    std::memcpy(&value, take(sizeof(T)), sizeof(T));
    return value;
  }
  const std::uint8_t* take(std::uint64_t n) {
    if (n > size_ - pos_)
      fail("needs " + std::to_string(n) + " more bytes, " + std::to_string(size_ - pos_) + " left");
    const auto* p = data_ + pos_;
    pos_ += static_cast<std::size_t>(n);
    return p;
  }
  std::size_t left() const { return size_ - pos_; }
  [[noreturn]] void fail(const std::string& what) const {
    throw core::FileError(source_, "damaged .nnz file: " + where_ + ": " + what);
  }

 private:
  const std::uint8_t* data_;
  std::size_t size_;
  std::size_t pos_ = 0;
  std::string source_;
  std::string where_;
};

std::uint16_t float_to_half(float v) {
  return c10::Half(v).x;
}
float half_to_float(std::uint16_t bits) {
  return static_cast<float>(c10::Half(bits, c10::Half::from_bits()));
}

std::uint32_t crc_of(const void* data, std::size_t n) {
  return static_cast<std::uint32_t>(
      crc32(crc32(0L, Z_NULL, 0), static_cast<const Bytef*>(data), static_cast<uInt>(n)));
}

// Version 3's META payload: the JSON's length (u32), then the JSON deflated (zlib's format).
std::string deflate_metadata(const std::string& json) {
  uLongf size = compressBound(static_cast<uLong>(json.size()));
  std::string packed(size, '\0');
  const int status = compress2(reinterpret_cast<Bytef*>(packed.data()), &size,
                               reinterpret_cast<const Bytef*>(json.data()),
                               static_cast<uLong>(json.size()), Z_BEST_COMPRESSION);
  if (status != Z_OK) throw std::runtime_error("nnz: zlib compress2 failed");
  packed.resize(size);
  Writer w;
  w.put<std::uint32_t>(static_cast<std::uint32_t>(json.size()));
  w.bytes(packed.data(), packed.size());
  return std::move(w.str());
}

std::string inflate_metadata(Reader& r) {
  const auto length = r.get<std::uint32_t>();
  if (length > kMaxMetadataBytes) r.fail("metadata of " + std::to_string(length) + " bytes");
  const auto packed_size = r.left();
  const auto* packed = r.take(packed_size);
  std::string json(length, '\0');
  uLongf size = length;
  const int status = uncompress(reinterpret_cast<Bytef*>(json.data()), &size, packed,
                                static_cast<uLong>(packed_size));
  if (status != Z_OK || size != length) r.fail("the deflated metadata does not inflate");
  return json;
}

void put_section(Writer& file, const char (&tag)[5], const std::string& payload) {
  file.bytes(tag, 4);
  file.put<std::uint32_t>(static_cast<std::uint32_t>(payload.size()));
  file.bytes(payload.data(), payload.size());
  file.put<std::uint32_t>(crc_of(payload.data(), payload.size()));
}

// A Huffman block: the code lengths two to a byte (each <= 15; the first symbol in the low
// nibble), the symbol count and the byte count, the packed codes. The alphabet is implied by
// the tensor's kind and codebook.
void put_huffman(Writer& w, const std::vector<std::uint32_t>& symbols, std::uint32_t alphabet) {
  const auto stream = huffman_encode(symbols, alphabet);
  static_assert(kMaxHuffmanLength <= 15, "code lengths are stored in 4 bits");
  for (std::size_t s = 0; s < stream.lengths.size(); s += 2) {
    const auto high = s + 1 < stream.lengths.size() ? stream.lengths[s + 1] : std::uint8_t{0};
    w.put<std::uint8_t>(static_cast<std::uint8_t>(stream.lengths[s] | (high << 4)));
  }
  w.put<std::uint32_t>(static_cast<std::uint32_t>(stream.count));
  w.put<std::uint32_t>(static_cast<std::uint32_t>(stream.bytes.size()));
  w.bytes(stream.bytes.data(), stream.bytes.size());
}

std::vector<std::uint32_t> get_huffman(Reader& r, std::uint32_t alphabet) {
  const auto* packed = r.take((static_cast<std::uint64_t>(alphabet) + 1) / 2);
  std::vector<std::uint8_t> lengths(alphabet);
  for (std::uint32_t s = 0; s < alphabet; ++s) {
    lengths[s] = static_cast<std::uint8_t>((packed[s / 2] >> (4 * (s % 2))) & 0xF);
  }
  if (alphabet % 2 == 1 && (packed[alphabet / 2] >> 4) != 0) r.fail("padding nibble not zero");
  const auto count = r.get<std::uint32_t>();
  const auto nbytes = r.get<std::uint32_t>();
  const auto* bytes = r.take(nbytes);
  try {
    return huffman_decode(lengths, bytes, static_cast<std::size_t>(nbytes), count);
  } catch (const std::runtime_error& e) {
    r.fail(e.what());
  }
}

std::string tensor_payload(const NnzTensor& t) {
  Writer w;
  w.put<std::uint16_t>(static_cast<std::uint16_t>(t.name.size()));
  w.bytes(t.name.data(), t.name.size());
  w.put<std::uint8_t>(static_cast<std::uint8_t>(t.kind));
  w.put<std::uint8_t>(static_cast<std::uint8_t>(t.shape.size()));
  for (const auto d : t.shape) w.put<std::uint32_t>(static_cast<std::uint32_t>(d));
  if (t.kind == NnzTensor::Kind::kRaw) {
    w.bytes(t.raw.data(), t.raw.size() * sizeof(float));
    return w.str();
  }
  if (t.kind == NnzTensor::Kind::kHalf) {
    for (const float v : t.raw) w.put<std::uint16_t>(float_to_half(v));
    return w.str();
  }
  w.put<std::uint32_t>(static_cast<std::uint32_t>(t.codebook.size()));
  w.bytes(t.codebook.data(), t.codebook.size() * sizeof(float));
  const bool sparse = t.kind == NnzTensor::Kind::kSparse;
  put_huffman(w, t.indices, nnz_index_alphabet(t));
  if (sparse) {
    w.put<std::uint8_t>(static_cast<std::uint8_t>(t.gap_bits));
    put_huffman(w, t.gaps, std::uint32_t{1} << t.gap_bits);
  }
  return w.str();
}

std::uint64_t element_count(const NnzTensor& t) {
  std::uint64_t n = 1;
  for (const auto d : t.shape) n *= static_cast<std::uint64_t>(d);
  return n;
}

NnzTensor parse_tensor(Reader& r) {
  NnzTensor t;
  const auto name_size = r.get<std::uint16_t>();
  const auto* name = r.take(name_size);
  t.name.assign(reinterpret_cast<const char*>(name), name_size);
  const auto kind = r.get<std::uint8_t>();
  if (kind > 4) r.fail("tensor '" + t.name + "': unknown kind " + std::to_string(kind));
  t.kind = static_cast<NnzTensor::Kind>(kind);
  const auto ndim = r.get<std::uint8_t>();
  std::uint64_t numel = 1;
  for (int i = 0; i < ndim; ++i) {
    const auto size = std::uint64_t{r.get<std::uint32_t>()};
    if (size > kMaxElements || (numel > 0 && size > kMaxElements / numel)) {
      r.fail("tensor '" + t.name + "': bad dimension " + std::to_string(size));
    }
    numel *= size;
    t.shape.push_back(static_cast<std::int64_t>(size));
  }
  if (t.kind == NnzTensor::Kind::kRaw) {
    if (numel > r.left() / sizeof(float)) r.fail("tensor '" + t.name + "': values cut short");
    const auto* values = r.take(numel * sizeof(float));
    t.raw.resize(static_cast<std::size_t>(numel));
    if (!t.raw.empty()) std::memcpy(t.raw.data(), values, t.raw.size() * sizeof(float));
    return t;
  }
  if (t.kind == NnzTensor::Kind::kHalf) {
    if (numel > r.left() / sizeof(std::uint16_t)) {
      r.fail("tensor '" + t.name + "': values cut short");
    }
    t.raw.resize(static_cast<std::size_t>(numel));
    for (auto& v : t.raw) v = half_to_float(r.get<std::uint16_t>());
    return t;
  }
  const auto k = r.get<std::uint32_t>();
  if (k == 0 || k >= kMaxHuffmanAlphabet)
    r.fail("tensor '" + t.name + "': codebook of " + std::to_string(k));
  const auto* codebook = r.take(static_cast<std::uint64_t>(k) * sizeof(float));
  t.codebook.resize(k);
  std::memcpy(t.codebook.data(), codebook, k * sizeof(float));
  const bool sparse = t.kind == NnzTensor::Kind::kSparse;
  if (t.kind == NnzTensor::Kind::kRowClustered &&
      (t.shape.empty() || t.shape[0] == 0 || k % static_cast<std::uint64_t>(t.shape[0]) != 0)) {
    r.fail("tensor '" + t.name + "': a codebook of " + std::to_string(k) +
           " does not split into one per row");
  }
  t.indices = get_huffman(r, nnz_index_alphabet(t));
  if (!sparse) {
    if (t.indices.size() != numel)
      r.fail("tensor '" + t.name + "': index count differs from its size");
    return t;
  }
  t.gap_bits = r.get<std::uint8_t>();
  if (t.gap_bits < 1 || t.gap_bits > 16)
    r.fail("tensor '" + t.name + "': gap width " + std::to_string(t.gap_bits));
  t.gaps = get_huffman(r, std::uint32_t{1} << t.gap_bits);
  if (t.gaps.size() != t.indices.size())
    r.fail("tensor '" + t.name + "': gaps and values differ in number");
  const auto positions = decode_positions(t.gaps);
  if (!positions.empty() && static_cast<std::uint64_t>(positions.back()) >= numel) {
    r.fail("tensor '" + t.name + "': a position beyond its " + std::to_string(numel) + " elements");
  }
  return t;
}

// Every value of a decoded tensor is one of its raw values or of its codebook's.
void check_finite_values(const NnzModel& model, const std::string& source) {
  models::TensorList values;
  for (const auto& t : model.tensors) {
    for (const auto* v : {&t.raw, &t.codebook}) {
      if (v->empty()) continue;
      values.emplace_back(t.name,
                          torch::from_blob(const_cast<float*>(v->data()),
                                           {static_cast<std::int64_t>(v->size())}, torch::kFloat));
    }
  }
  models::check_finite_weights(values, source);
}

}  // namespace

bool has_nnz_magic(const std::uint8_t* data, std::size_t size) {
  return size >= sizeof(kNnzMagic) && std::memcmp(data, kNnzMagic, sizeof(kNnzMagic)) == 0;
}

bool is_nnz_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  char head[sizeof(kNnzMagic)] = {};
  in.read(head, sizeof(head));
  return in.gcount() == sizeof(head) &&
         has_nnz_magic(reinterpret_cast<const std::uint8_t*>(head), sizeof(head));
}

std::string encode_nnz(const NnzModel& model, std::uint32_t version) {
  if (version < kNnzOldestVersion || version > kNnzVersion) {
    throw std::invalid_argument("encode_nnz: version " + std::to_string(version) +
                                ", this nnlab writes " + std::to_string(kNnzOldestVersion) +
                                " to " + std::to_string(kNnzVersion));
  }
  Writer file;
  file.bytes(kNnzMagic, sizeof(kNnzMagic));
  file.put<std::uint32_t>(version);
  const nlohmann::json meta = {{"model", models::info_to_json(model.info)},
                               {"meta", model.meta},
                               {"tensors", model.tensors.size()}};
  put_section(file, "META", version == 2 ? meta.dump() : deflate_metadata(meta.dump()));
  for (const auto& t : model.tensors) put_section(file, "TENS", tensor_payload(t));
  put_section(file, "END.", "");
  return std::move(file.str());
}

void save_nnz(const std::string& path, const NnzModel& model) {
  core::write_text_atomically(path, encode_nnz(model));
}

NnzModel decode_nnz(const std::uint8_t* data, std::size_t size, const std::string& source) {
  if (!has_nnz_magic(data, size)) throw core::FileError(source, "not an .nnz file (no magic)");
  Reader file(data, size, source, "header");
  file.take(sizeof(kNnzMagic));
  const auto version = file.get<std::uint32_t>();
  core::check_format_version(source, "nnlab .nnz", version, kNnzOldestVersion, kNnzVersion);
  NnzModel model;
  std::uint64_t expected_tensors = 0;
  std::uint64_t total_elements = 0;
  bool have_meta = false;
  for (int index = 0;; ++index) {
    Reader header(file.take(0), file.left(), source, "section " + std::to_string(index));
    const auto* tag = file.take(4);
    const std::string name(reinterpret_cast<const char*>(tag), 4);
    const auto length = std::uint64_t{file.get<std::uint32_t>()};
    if (length > file.left() || file.left() - length < 4) {
      header.fail("'" + name + "' claims " + std::to_string(length) + " bytes, " +
                  std::to_string(file.left()) + " left");
    }
    const auto* payload = file.take(length);
    const auto crc = file.get<std::uint32_t>();
    // The fuzzer (fuzz/run_nnz_fuzz.sh) turns the CRC off, so that its mutations reach the
    // parsers behind it; tests/compress/nnz_format_test.cpp covers the CRC itself.
#ifndef NNLAB_FUZZING_WITHOUT_CRC
    if (crc != crc_of(payload, static_cast<std::size_t>(length))) {
      header.fail("'" + name + "' fails its CRC-32");
    }
#else
    (void)crc;
#endif
    Reader body(payload, static_cast<std::size_t>(length), source, "section '" + name + "'");
    if (name == "META" && index == 0) {
      try {
        const std::string text = version == 2
                                     ? std::string(reinterpret_cast<const char*>(payload), length)
                                     : inflate_metadata(body);
        const auto j = nlohmann::json::parse(text);
        model.info = models::info_from_json(j.at("model"), source);
        model.meta = j.value("meta", nlohmann::json::object());
        expected_tensors = j.at("tensors").get<std::uint64_t>();
      } catch (const nlohmann::json::exception& e) {
        body.fail(e.what());
      }
      have_meta = true;
    } else if (name == "TENS" && have_meta) {
      model.tensors.push_back(parse_tensor(body));
      total_elements += element_count(model.tensors.back());
      if (total_elements > kMaxTotalElements) body.fail("more than 2^30 elements in all");
      if (body.left() != 0) body.fail(std::to_string(body.left()) + " bytes left over");
    } else if (name == "END." && have_meta) {
      if (length != 0) body.fail("not empty");
      if (model.tensors.size() != expected_tensors) {
        body.fail(std::to_string(model.tensors.size()) + " tensors, the metadata says " +
                  std::to_string(expected_tensors));
      }
      if (file.left() != 0) header.fail(std::to_string(file.left()) + " bytes after the end");
      check_finite_values(model, source);
      return model;
    } else {
      header.fail("unexpected section '" + name + "'");
    }
  }
}

NnzModel read_nnz(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw core::FileError(path, "cannot open");
  const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  return decode_nnz(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size(), path);
}

torch::Tensor nnz_dense(const NnzTensor& t) {
  const auto numel = static_cast<std::int64_t>(element_count(t));
  if (numel == 0) return torch::zeros(t.shape);
  if (t.kind == NnzTensor::Kind::kRaw || t.kind == NnzTensor::Kind::kHalf) {
    return torch::from_blob(const_cast<float*>(t.raw.data()), {numel}, torch::kFloat)
        .clone()
        .reshape(t.shape);
  }
  auto codebook = torch::from_blob(const_cast<float*>(t.codebook.data()),
                                   {static_cast<std::int64_t>(t.codebook.size())}, torch::kFloat)
                      .clone();
  std::vector<std::int64_t> idx(t.indices.begin(), t.indices.end());
  auto index = torch::tensor(idx, torch::kLong);
  if (t.kind == NnzTensor::Kind::kClustered) return codebook.index({index}).reshape(t.shape);
  if (t.kind == NnzTensor::Kind::kRowClustered) {
    const auto rows = t.shape[0];
    const auto per_row = static_cast<std::int64_t>(t.codebook.size()) / rows;
    const auto row = torch::arange(numel, torch::kLong).div(numel / rows, "floor");
    return codebook.index({row * per_row + index}).reshape(t.shape);
  }
  codebook = torch::cat({codebook, torch::zeros({1})});  // the filler's zero
  auto dense = torch::zeros({numel});
  const auto positions = decode_positions(t.gaps);
  if (!positions.empty()) {
    dense.index_put_({torch::tensor(positions, torch::kLong)}, codebook.index({index}));
  }
  return dense.reshape(t.shape);
}

std::uint32_t nnz_index_alphabet(const NnzTensor& t) {
  const auto k = static_cast<std::uint32_t>(t.codebook.size());
  if (t.kind == NnzTensor::Kind::kRowClustered)
    return k / static_cast<std::uint32_t>(t.shape.at(0));
  return t.kind == NnzTensor::Kind::kSparse ? k + 1 : k;
}

std::size_t nnz_tensor_bytes(const NnzTensor& tensor) {
  return 4 + 4 + tensor_payload(tensor).size() + 4;  // tag, length, payload, CRC
}

}  // namespace nnlab::compress
