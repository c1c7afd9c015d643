#include "nnlab/models/pth_writer.h"

#include <torch/types.h>

#include <algorithm>
#include <cstdint>
#include <stdexcept>

#include "nnlab/core/atomic_file.h"
#include "nnlab/models/pickle.h"

namespace nnlab::models {

namespace {

using pickle::kLegacyMagic;
using pickle::kLegacyProtocolVersion;

// Just the opcodes the legacy container needs, with protocol 2.
class PickleWriter {
 public:
  void proto() { out_ += "\x80\x02"; }
  void stop() { out_ += '.'; }
  void mark() { out_ += '('; }
  void global(const std::string& module, const std::string& name) {
    out_ += 'c' + module + '\n' + name + '\n';
  }
  void integer(std::int64_t v) {
    if (v >= 0 && v < 256) {
      out_ += 'K';
      out_ += static_cast<char>(v);
    } else if (v >= INT32_MIN && v <= INT32_MAX) {
      out_ += 'J';
      const auto x = static_cast<std::int32_t>(v);
      out_.append(reinterpret_cast<const char*>(&x), 4);
    } else {
      out_ += "\x8a\x08";
      out_.append(reinterpret_cast<const char*>(&v), 8);
    }
  }
  void unicode(const std::string& s) {
    out_ += 'X';
    const auto n = static_cast<std::uint32_t>(s.size());
    out_.append(reinterpret_cast<const char*>(&n), 4);
    out_ += s;
  }
  void raw(const std::string& s) { out_ += s; }
  std::string& bytes() { return out_; }

 private:
  std::string out_;
};

std::string storage_type_name(torch::ScalarType t) {
  switch (t) {
    case torch::kFloat:
      return "FloatStorage";
    case torch::kDouble:
      return "DoubleStorage";
    case torch::kHalf:
      return "HalfStorage";
    case torch::kLong:
      return "LongStorage";
    case torch::kInt:
      return "IntStorage";
    case torch::kByte:
      return "ByteStorage";
    case torch::kBool:
      return "BoolStorage";
    default:
      throw std::invalid_argument("write_legacy_pth: unsupported dtype");
  }
}

}  // namespace

void write_legacy_pth(const std::string& path, const TensorList& tensors) {
  PickleWriter w;
  w.raw(std::string(reinterpret_cast<const char*>(kLegacyMagic), sizeof(kLegacyMagic)));
  w.proto();
  w.raw("M");  // BININT2 1001
  const std::uint16_t version = kLegacyProtocolVersion;
  w.raw(std::string(reinterpret_cast<const char*>(&version), 2));
  w.stop();
  w.proto();  // sys info
  w.raw("}");
  w.mark();
  w.unicode("protocol_version");
  w.integer(kLegacyProtocolVersion);
  w.unicode("little_endian");
  w.raw("\x88");
  w.unicode("type_sizes");
  w.raw("}");
  w.mark();
  w.unicode("short");
  w.integer(2);
  w.unicode("int");
  w.integer(4);
  w.unicode("long");
  w.integer(4);
  w.raw("u");
  w.raw("u");
  w.stop();
  // The object: OrderedDict(name -> _rebuild_tensor_v2(storage, 0, size, stride, False,
  // OrderedDict())).
  w.proto();
  w.global("collections", "OrderedDict");
  w.raw(")R");
  w.mark();
  std::vector<torch::Tensor> contiguous;
  for (size_t i = 0; i < tensors.size(); ++i) {
    const auto t = tensors[i].second.detach().to(torch::kCPU).contiguous();
    contiguous.push_back(t);
    w.unicode(tensors[i].first);
    w.global("torch._utils", "_rebuild_tensor_v2");
    w.mark();
    w.mark();
    w.unicode("storage");
    w.global("torch", storage_type_name(t.scalar_type()));
    w.unicode(std::to_string(i));
    w.unicode("cpu");
    w.integer(t.numel());
    w.raw("N");  // no view
    w.raw("tQ");
    w.integer(0);
    w.mark();
    for (auto s : t.sizes()) w.integer(s);
    w.raw("t");
    w.mark();
    for (auto s : t.strides()) w.integer(s);
    w.raw("t");
    w.raw("\x89");
    w.global("collections", "OrderedDict");
    w.raw(")R");
    w.raw("tR");
  }
  w.raw("u");
  w.stop();
  // Storage keys, sorted as strings like Python's sorted().
  std::vector<std::string> keys;
  for (size_t i = 0; i < tensors.size(); ++i) keys.push_back(std::to_string(i));
  std::vector<size_t> order(keys.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) { return keys[a] < keys[b]; });
  w.proto();
  w.raw("]");
  w.mark();
  for (size_t i : order) w.unicode(keys[i]);
  w.raw("e");
  w.stop();
  for (size_t i : order) {
    const auto& t = contiguous[i];
    const std::int64_t numel = t.numel();
    w.raw(std::string(reinterpret_cast<const char*>(&numel), 8));
    w.raw(std::string(static_cast<const char*>(t.data_ptr()), t.numel() * t.element_size()));
  }
  core::write_text_atomically(path, w.bytes());
}

}  // namespace nnlab::models
