// The pickle machine that torch.save files are read with (models/pth_reader.h): protocol 2-5
// run on a small stack machine that builds a tree of PyObj values. It knows the globals
// torch.save uses (OrderedDict, _rebuild_tensor_v2, storages, TorchScript's type tags); any
// other reduction is kept as an opaque Object so the pickle runs on. Tensors stay references
// into storages (TensorRef) until the container has read every storage: in the legacy format
// the bytes come after the pickle. Every read is bounds-checked.
#pragma once

#include <torch/types.h>

#include <cstdint>
#include <cstring>
#include <functional>
#include <memory>
#include <stdexcept>
#include <string>
#include <utility>
#include <variant>
#include <vector>

namespace nnlab::models::pickle {

// The legacy torch.save container's first record: 0x1950a86a20f9469cfc6c pickled with protocol 2
// as LONG1, then the protocol version record.
constexpr unsigned char kLegacyMagic[] = {0x80, 0x02, 0x8a, 0x0a, 0x6c, 0xfc, 0x9c, 0x46,
                                          0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19, 0x2e};
constexpr std::int64_t kLegacyProtocolVersion = 1001;

struct StorageData {
  torch::ScalarType dtype = torch::kFloat;
  std::int64_t numel = -1;                   // elements; -1 until read
  std::shared_ptr<std::vector<char>> bytes;  // legacy
  std::shared_ptr<at::DataPtr> record;       // zip
  size_t nbytes = 0;
  const char* data() const {
    return record ? static_cast<const char*>(record->get()) : (bytes ? bytes->data() : nullptr);
  }
};

struct PyObj;
using Obj = std::shared_ptr<PyObj>;

struct Global {
  std::string module, name;
};
struct StorageRef {
  std::shared_ptr<StorageData> storage;
  std::int64_t offset = 0;  // elements into the root storage (legacy views)
};
struct TensorRef {
  StorageRef storage;
  std::int64_t offset = 0;
  std::vector<std::int64_t> size, stride;
};
struct Mark {};
struct None {};
using List = std::vector<Obj>;
struct Tuple {
  std::vector<Obj> items;
};
using Dict = std::vector<std::pair<Obj, Obj>>;
struct Object {  // an unknown reduction: kept so the pickle runs on, never used
  Global type;
};

struct PyObj {
  std::variant<None, bool, std::int64_t, double, std::string, Tuple, List, Dict, Global, StorageRef,
               TensorRef, Object, Mark>
      value;
};

template <typename T>
inline Obj make(T value) {
  auto obj = std::make_shared<PyObj>();
  obj->value = std::move(value);
  return obj;
}

// A bounds-checked cursor over bytes.
class Cursor {
 public:
  Cursor(const char* data, size_t size) : data_(data), size_(size) {}
  size_t pos() const { return pos_; }
  size_t remaining() const { return size_ - pos_; }
  const char* take(size_t n) {
    if (n > remaining()) throw std::runtime_error("truncated (unexpected end of data)");
    const char* p = data_ + pos_;
    pos_ += n;
    return p;
  }
  std::uint8_t u8() { return static_cast<std::uint8_t>(*take(1)); }
  template <typename T>
  T little() {
    T value;
    std::memcpy(&value, take(sizeof(T)), sizeof(T));  // x86/ARM are little-endian
    return value;
  }
  std::string line() {
    const void* nl = std::memchr(data_ + pos_, '\n', remaining());
    if (nl == nullptr) throw std::runtime_error("truncated (unterminated line in pickle)");
    const size_t n = static_cast<const char*>(nl) - (data_ + pos_);
    std::string s(take(n), n);
    take(1);
    return s;
  }

 private:
  const char* data_;
  size_t size_;
  size_t pos_ = 0;
};

// storage_for(key, dtype) returns the storage object for a persistent id.
using StorageFor =
    std::function<std::shared_ptr<StorageData>(const std::string&, torch::ScalarType)>;

// Runs one pickle from the cursor up to its STOP and returns the object it built.
Obj unpickle(Cursor& in, const StorageFor& storage_for);

}  // namespace nnlab::models::pickle
