// IDX reading through zlib's gz* functions, which read gzip and plain files alike (a plain file
// is passed through "transparently"), so one code path serves both MNIST distributions.
// Format: http://yann.lecun.com/exdb/mnist/ ("THE IDX FILE FORMAT").
#include "nnlab/data/idx.h"

#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <memory>

#include "nnlab/core/atomic_file.h"
#include "nnlab/core/error.h"

namespace nnlab::data {

namespace fs = std::filesystem;

namespace {

constexpr std::uint64_t kMaxValues = std::uint64_t{1} << 31;
constexpr int kUnsignedByte = 0x08;

struct GzCloser {
  void operator()(gzFile_s* file) const { gzclose(file); }
};
using GzFile = std::unique_ptr<gzFile_s, GzCloser>;

std::string hex_byte(unsigned value) {
  static const char* digits = "0123456789ABCDEF";
  return std::string("0x") + digits[(value >> 4) & 0xF] + digits[value & 0xF];
}

std::string idx_type_name(unsigned type) {
  switch (type) {
    case 0x08:
      return "unsigned byte";
    case 0x09:
      return "signed byte";
    case 0x0B:
      return "int16";
    case 0x0C:
      return "int32";
    case 0x0D:
      return "float32";
    case 0x0E:
      return "float64";
    default:
      return "unknown";
  }
}

// Reads up to size bytes; returns how many arrived (fewer only at the end of the data). Throws
// when zlib reports a damaged stream or the read itself fails.
std::uint64_t read_bytes(gzFile file, const std::string& path, void* buffer, std::uint64_t size) {
  auto* out = static_cast<unsigned char*>(buffer);
  std::uint64_t done = 0;
  while (done < size) {
    // gzread takes an unsigned and returns an int: read in chunks well below INT_MAX.
    const auto chunk = static_cast<unsigned>(std::min<std::uint64_t>(size - done, 1u << 24));
    const int got = gzread(file, out + done, chunk);
    if (got < 0) {
      int code = Z_OK;
      const char* raw = gzerror(file, &code);
      if (code == Z_ERRNO) {
        throw core::FileError(path, std::string("read error: ") + std::strerror(errno));
      }
      // zlib prefixes its message with the path, which FileError already gives.
      std::string message = raw ? raw : "unknown zlib error";
      if (message.compare(0, path.size() + 2, path + ": ") == 0) message.erase(0, path.size() + 2);
      throw core::FileError(path, "corrupted gzip data: " + message);
    }
    if (got == 0) break;
    done += static_cast<std::uint64_t>(got);
  }
  return done;
}

// After a short read: a gzip stream that stopped mid-member says so in gzerror (Z_BUF_ERROR).
std::string gzip_cut_note(gzFile file) {
  int code = Z_OK;
  gzerror(file, &code);
  return code == Z_BUF_ERROR ? " (the gzip stream ends early)" : "";
}

fs::path find_idx_file(const fs::path& dir, const std::string& base) {
  for (const std::string& name : {base, base + ".gz"}) {
    if (fs::is_regular_file(dir / name)) return dir / name;
  }
  throw core::FileError(dir.string(), "neither " + base + " nor " + base + ".gz is there");
}

Dataset load_idx_pair(const fs::path& images_path, const fs::path& labels_path,
                      const std::vector<std::string>& class_names) {
  const torch::Tensor images = read_idx(images_path.string());
  const torch::Tensor labels = read_idx(labels_path.string());
  if (images.dim() != 3) {
    throw core::FileError(
        images_path.string(),
        "expected 3 dimensions (images, rows, columns), got " + std::to_string(images.dim()));
  }
  if (labels.dim() != 1) {
    throw core::FileError(labels_path.string(),
                          "expected 1 dimension (labels), got " + std::to_string(labels.dim()));
  }
  if (labels.size(0) != images.size(0)) {
    throw core::FileError(labels_path.string(), "holds " + std::to_string(labels.size(0)) +
                                                    " labels but " + images_path.string() +
                                                    " holds " + std::to_string(images.size(0)) +
                                                    " images");
  }
  Dataset out;
  out.labels = labels.to(torch::kLong);
  if (!class_names.empty() && out.labels.numel() > 0) {
    const auto count = static_cast<std::int64_t>(class_names.size());
    const torch::Tensor bad = (out.labels >= count).nonzero();
    if (bad.numel() > 0) {
      const std::int64_t row = bad[0][0].item<std::int64_t>();
      throw core::FileError(labels_path.string(),
                            "label " + std::to_string(out.labels[row].item<std::int64_t>()) +
                                " in row " + std::to_string(row) +
                                " (counting from 0) is outside [0, " + std::to_string(count) +
                                ") for " + std::to_string(count) + " classes");
    }
  }
  out.images = images.unsqueeze(1).to(torch::kFloat).div_(255);
  out.class_names = class_names;
  out.source = images_path.string();
  return out;
}

}  // namespace

torch::Tensor read_idx(const std::string& path) {
  if (!fs::exists(path)) throw core::FileError(path, "no such file");
  if (fs::is_directory(path)) throw core::FileError(path, "is a directory, not an IDX file");
  GzFile file(gzopen(path.c_str(), "rb"));
  if (!file)
    throw core::FileError(path, std::string("cannot open for reading: ") + std::strerror(errno));
  gzbuffer(file.get(), 1 << 17);

  unsigned char magic[4] = {0, 0, 0, 0};
  const std::uint64_t got_magic = read_bytes(file.get(), path, magic, 4);
  if (got_magic == 0) throw core::FileError(path, "empty file (expected an IDX header)");
  if (got_magic < 4) {
    throw core::FileError(path, "truncated: the 4-byte IDX header has only " +
                                    std::to_string(got_magic) + " bytes" +
                                    gzip_cut_note(file.get()));
  }
  if (magic[0] != 0 || magic[1] != 0) {
    throw core::FileError(path, "not an IDX file: bad magic " + hex_byte(magic[0]) + " " +
                                    hex_byte(magic[1]) + " (expected two zero bytes)");
  }
  if (magic[2] != kUnsignedByte) {
    throw core::FileError(path, "unsupported IDX data type " + hex_byte(magic[2]) + " (" +
                                    idx_type_name(magic[2]) +
                                    "); only 0x08 (unsigned byte) is supported");
  }
  const int ndims = magic[3];
  if (ndims < 1 || ndims > 4) {
    throw core::FileError(
        path, "IDX header gives " + std::to_string(ndims) + " dimensions; expected 1 to 4");
  }

  unsigned char raw_dims[16];
  const std::uint64_t got_dims = read_bytes(file.get(), path, raw_dims, 4 * ndims);
  if (got_dims < static_cast<std::uint64_t>(4 * ndims)) {
    throw core::FileError(path, "truncated: the header's " + std::to_string(ndims) +
                                    " dimension sizes need " + std::to_string(4 * ndims) +
                                    " bytes, got " + std::to_string(got_dims) +
                                    gzip_cut_note(file.get()));
  }
  std::vector<std::int64_t> shape;
  std::uint64_t total = 1;
  std::string shape_text;
  for (int d = 0; d < ndims; ++d) {
    const unsigned char* b = raw_dims + 4 * d;
    const std::uint64_t size = (std::uint64_t{b[0]} << 24) | (std::uint64_t{b[1]} << 16) |
                               (std::uint64_t{b[2]} << 8) | std::uint64_t{b[3]};
    shape.push_back(static_cast<std::int64_t>(size));
    shape_text += (d ? "x" : "") + std::to_string(size);
    // Each factor is below 2^32 and the running product stays at most 2^31: no overflow.
    total = total * size;
    if (total > kMaxValues || size > kMaxValues) {
      throw core::FileError(path, "IDX dimensions " + shape_text + (d + 1 < ndims ? "x..." : "") +
                                      " exceed 2^31 values (corrupted header?)");
    }
  }

  torch::Tensor data = torch::empty(shape, torch::kUInt8);
  const std::uint64_t got = read_bytes(file.get(), path, data.data_ptr<std::uint8_t>(), total);
  if (got < total) {
    throw core::FileError(path, "truncated: expected " + std::to_string(total) +
                                    " bytes of data, got " + std::to_string(got) +
                                    gzip_cut_note(file.get()));
  }
  // Reading past the payload also makes zlib check the gzip CRC and length trailer.
  unsigned char extra[4096];
  std::uint64_t trailing = 0;
  for (;;) {
    const std::uint64_t more = read_bytes(file.get(), path, extra, sizeof(extra));
    trailing += more;
    if (more < sizeof(extra)) break;
  }
  if (trailing > 0) {
    throw core::FileError(path, std::to_string(trailing) + " unexpected bytes after the " +
                                    std::to_string(total) + " bytes of data (shape " + shape_text +
                                    ")");
  }
  const std::string cut = gzip_cut_note(file.get());
  if (!cut.empty()) throw core::FileError(path, "truncated gzip file" + cut);
  return data;
}

void write_idx(const std::string& path, const torch::Tensor& data) {
  TORCH_CHECK(data.scalar_type() == torch::kUInt8, "write_idx(", path,
              "): expected a uint8 tensor, got ", data.scalar_type());
  TORCH_CHECK(data.dim() >= 1 && data.dim() <= 4, "write_idx(", path,
              "): expected 1 to 4 dimensions, got ", data.dim());
  const torch::Tensor bytes = data.cpu().contiguous();
  std::string header = {0, 0, static_cast<char>(kUnsignedByte), static_cast<char>(data.dim())};
  for (const std::int64_t size : bytes.sizes()) {
    TORCH_CHECK(size <= std::numeric_limits<std::uint32_t>::max(), "write_idx(", path,
                "): dimension ", size, " does not fit in 32 bits");
    for (int shift = 24; shift >= 0; shift -= 8)
      header.push_back(static_cast<char>((size >> shift) & 0xFF));
  }
  core::write_atomically(path, [&](const std::string& tmp) {
    std::ofstream out(tmp, std::ios::binary);
    if (!out)
      throw core::FileError(path, std::string("cannot open for writing: ") + std::strerror(errno));
    out.write(header.data(), static_cast<std::streamsize>(header.size()));
    out.write(reinterpret_cast<const char*>(bytes.data_ptr<std::uint8_t>()),
              static_cast<std::streamsize>(bytes.numel()));
    out.close();
    if (!out) throw core::FileError(path, "write failed (disk full?)");
  });
}

TrainTestSplit load_idx_dir(const std::string& dir, const std::vector<std::string>& class_names) {
  if (!fs::is_directory(dir)) {
    throw core::FileError(dir, fs::exists(dir) ? "not a directory" : "no such directory");
  }
  const fs::path root(dir);
  // All four are looked up before any is read, so a missing one fails fast.
  const fs::path train_images = find_idx_file(root, "train-images-idx3-ubyte");
  const fs::path train_labels = find_idx_file(root, "train-labels-idx1-ubyte");
  const fs::path test_images = find_idx_file(root, "t10k-images-idx3-ubyte");
  const fs::path test_labels = find_idx_file(root, "t10k-labels-idx1-ubyte");
  TrainTestSplit split;
  split.train = load_idx_pair(train_images, train_labels, class_names);
  split.test = load_idx_pair(test_images, test_labels, class_names);
  return split;
}

const std::vector<std::string>& fashion_mnist_classes() {
  static const std::vector<std::string> names = {"T-shirt/top", "Trouser",   "Pullover", "Dress",
                                                 "Coat",        "Sandal",    "Shirt",    "Sneaker",
                                                 "Bag",         "Ankle boot"};
  return names;
}

}  // namespace nnlab::data
