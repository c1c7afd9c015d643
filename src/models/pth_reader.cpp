// torch.save files without Python. Two containers hold the same pickle:
//  * zip (PyTorch >= 1.6): <prefix>/data.pkl and one record <prefix>/data/<key> per storage;
//  * legacy (torchvision's 2017 files): five things back to back — pickled magic number,
//    protocol version (1001), sys info, the object, the sorted storage keys — then for each key
//    an int64 element count and the raw little-endian storage bytes.
// The pickle (protocol 2-5) runs on a small stack machine that builds a tree of PyObj values;
// tensors stay references into storages until every storage has been read (in the legacy format
// the bytes come after the pickle). Every read is bounds-checked: a bad file is an error, never
// an out-of-bounds read.
#include "nnlab/models/pth_reader.h"

#include <caffe2/serialize/inline_container.h>
#include <torch/torch.h>

#include <cstring>
#include <fstream>
#include <map>
#include <memory>
#include <unordered_map>
#include <variant>

#include "nnlab/core/atomic_file.h"
#include "nnlab/core/error.h"
#include "nnlab/models/finite_weights.h"

namespace nnlab::models {

namespace {

using core::FileError;

// 0x1950a86a20f9469cfc6c pickled with protocol 2 as LONG1.
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
Obj make(T value) {
  auto obj = std::make_shared<PyObj>();
  obj->value = std::move(value);
  return obj;
}

torch::ScalarType storage_dtype(const std::string& name) {
  static const std::map<std::string, torch::ScalarType> kTypes = {
      {"FloatStorage", torch::kFloat},
      {"DoubleStorage", torch::kDouble},
      {"HalfStorage", torch::kHalf},
      {"BFloat16Storage", torch::kBFloat16},
      {"LongStorage", torch::kLong},
      {"IntStorage", torch::kInt},
      {"ShortStorage", torch::kShort},
      {"CharStorage", torch::kChar},
      {"ByteStorage", torch::kByte},
      {"BoolStorage", torch::kBool},
      {"ComplexFloatStorage", torch::kComplexFloat},
      {"ComplexDoubleStorage", torch::kComplexDouble}};
  const auto it = kTypes.find(name);
  if (it == kTypes.end()) throw std::runtime_error("unsupported storage type torch." + name);
  return it->second;
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

class Unpickler {
 public:
  // storage_for(key, dtype) returns the storage object for a persistent id.
  using StorageFor =
      std::function<std::shared_ptr<StorageData>(const std::string&, torch::ScalarType)>;
  Unpickler(Cursor& in, StorageFor storage_for) : in_(in), storage_for_(std::move(storage_for)) {}

  Obj run() {
    for (;;) {
      const std::uint8_t op = in_.u8();
      switch (op) {
        case 0x80:
          in_.u8();
          break;  // PROTO
        case 0x95:
          in_.little<std::uint64_t>();
          break;  // FRAME
        case '.':
          return pop();  // STOP
        case '(':
          push(make(Mark{}));
          break;  // MARK
        case 'N':
          push(make(None{}));
          break;
        case 0x88:
          push(make(true));
          break;
        case 0x89:
          push(make(false));
          break;
        case 'J':
          push(make<std::int64_t>(in_.little<std::int32_t>()));
          break;
        case 'K':
          push(make<std::int64_t>(in_.u8()));
          break;
        case 'M':
          push(make<std::int64_t>(in_.little<std::uint16_t>()));
          break;
        case 0x8a:
          push(long1(in_.u8()));
          break;
        case 0x8b:
          push(long1(checked_length(static_cast<std::int64_t>(in_.little<std::int32_t>()))));
          break;
        case 'I':
          push(text_int(in_.line()));
          break;
        case 'L': {
          std::string s = in_.line();
          if (!s.empty() && s.back() == 'L') s.pop_back();
          push(text_int(s));
          break;
        }
        case 'G': {
          std::uint64_t bits = 0;
          const char* p = in_.take(8);
          for (int i = 0; i < 8; ++i) bits = (bits << 8) | static_cast<std::uint8_t>(p[i]);
          double d;
          std::memcpy(&d, &bits, 8);
          push(make(d));
          break;
        }
        case 'X':
          push(string(in_.little<std::uint32_t>()));
          break;
        case 0x8c:
          push(string(in_.u8()));
          break;
        case 0x8d:
          push(string(checked_length(in_.little<std::uint64_t>())));
          break;
        case 'T':
          push(string(checked_length(static_cast<std::int64_t>(in_.little<std::int32_t>()))));
          break;
        case 'U':
          push(string(in_.u8()));
          break;
        case 'B':
          push(string(in_.little<std::uint32_t>()));
          break;
        case 'C':
          push(string(in_.u8()));
          break;
        case 0x8e:
          push(string(checked_length(in_.little<std::uint64_t>())));
          break;
        case ')':
          push(make(Tuple{}));
          break;
        case ']':
          push(make(List{}));
          break;
        case '}':
          push(make(Dict{}));
          break;
        case 't':
          push(make(Tuple{pop_to_mark()}));
          break;
        case 0x85:
          push(tuple_of(1));
          break;
        case 0x86:
          push(tuple_of(2));
          break;
        case 0x87:
          push(tuple_of(3));
          break;
        case 'l':
          push(make(List{pop_to_mark()}));
          break;
        case 'd': {
          auto items = pop_to_mark();
          auto dict = make(Dict{});
          set_items(dict, items);
          push(dict);
          break;
        }
        case 'a': {
          auto value = pop();
          as<List>(top(), "APPEND").push_back(value);
          break;
        }
        case 'e': {
          auto items = pop_to_mark();
          auto& list = as<List>(top(), "APPENDS");
          list.insert(list.end(), items.begin(), items.end());
          break;
        }
        case 's': {
          auto value = pop();
          auto key = pop();
          set_items(top(), {key, value});
          break;
        }
        case 'u': {
          auto items = pop_to_mark();
          set_items(top(), items);
          break;
        }
        case 'q':
          memo_[in_.u8()] = top();
          break;
        case 'r':
          memo_[in_.little<std::uint32_t>()] = top();
          break;
        case 'p':
          memo_[static_cast<std::uint32_t>(std::stoul(in_.line()))] = top();
          break;
        case 0x94:
          memo_[static_cast<std::uint32_t>(memo_.size())] = top();
          break;
        case 'h':
          push(memo(in_.u8()));
          break;
        case 'j':
          push(memo(in_.little<std::uint32_t>()));
          break;
        case 'g':
          push(memo(static_cast<std::uint32_t>(std::stoul(in_.line()))));
          break;
        case '0':
          pop();
          break;
        case '1':
          pop_to_mark();
          break;
        case '2':
          push(top());
          break;
        case 'c': {
          std::string module = in_.line();
          std::string name = in_.line();
          push(make(Global{module, name}));
          break;
        }
        case 0x93: {
          auto name = pop();
          auto module = pop();
          push(make(Global{as<std::string>(module, "STACK_GLOBAL"),
                           as<std::string>(name, "STACK_GLOBAL")}));
          break;
        }
        case 'R': {
          auto args = pop();
          auto callable = pop();
          push(reduce(as<Global>(callable, "REDUCE"), as<Tuple>(args, "REDUCE").items));
          break;
        }
        case 0x81: {  // NEWOBJ
          auto args = pop();
          auto cls = pop();
          push(reduce(as<Global>(cls, "NEWOBJ"), as<Tuple>(args, "NEWOBJ").items));
          break;
        }
        case 'b':
          pop();
          break;  // BUILD: object state (OrderedDict _metadata, ...) is not needed
        case 'Q':
          push(persistent_load(pop()));
          break;
        default: {
          char buffer[64];
          std::snprintf(buffer, sizeof(buffer), "unsupported pickle opcode 0x%02x at byte %zu", op,
                        in_.pos() - 1);
          throw std::runtime_error(buffer);
        }
      }
    }
  }

 private:
  template <typename T>
  static T& as(const Obj& obj, const char* where) {
    if (auto* value = std::get_if<T>(&obj->value)) return *value;
    throw std::runtime_error(std::string("malformed pickle: unexpected value type at ") + where);
  }
  static size_t checked_length(std::int64_t n) {
    if (n < 0) throw std::runtime_error("malformed pickle: negative length");
    return static_cast<size_t>(n);
  }
  static size_t checked_length(std::uint64_t n) { return static_cast<size_t>(n); }

  void push(Obj obj) { stack_.push_back(std::move(obj)); }
  Obj pop() {
    if (stack_.empty()) throw std::runtime_error("malformed pickle: stack underflow");
    Obj obj = std::move(stack_.back());
    stack_.pop_back();
    return obj;
  }
  const Obj& top() {
    if (stack_.empty()) throw std::runtime_error("malformed pickle: stack underflow");
    return stack_.back();
  }
  std::vector<Obj> pop_to_mark() {
    for (size_t i = stack_.size(); i-- > 0;) {
      if (std::holds_alternative<Mark>(stack_[i]->value)) {
        std::vector<Obj> items(stack_.begin() + static_cast<std::ptrdiff_t>(i) + 1, stack_.end());
        stack_.resize(i);
        return items;
      }
    }
    throw std::runtime_error("malformed pickle: no MARK on the stack");
  }
  Obj tuple_of(size_t n) {
    if (stack_.size() < n) throw std::runtime_error("malformed pickle: stack underflow");
    std::vector<Obj> items(stack_.end() - static_cast<std::ptrdiff_t>(n), stack_.end());
    stack_.resize(stack_.size() - n);
    return make(Tuple{std::move(items)});
  }
  Obj memo(std::uint32_t key) {
    const auto it = memo_.find(key);
    if (it == memo_.end()) throw std::runtime_error("malformed pickle: memo key not found");
    return it->second;
  }
  Obj string(size_t n) { return make(std::string(in_.take(n), n)); }
  Obj long1(size_t n) {
    if (n > 8) {  // beyond int64: only the legacy magic number, which is checked byte-wise
      in_.take(n);
      return make<std::int64_t>(0);
    }
    const char* p = in_.take(n);
    std::uint64_t value = 0;
    for (size_t i = 0; i < n; ++i)
      value |= static_cast<std::uint64_t>(static_cast<std::uint8_t>(p[i])) << (8 * i);
    if (n > 0 && n < 8 && (static_cast<std::uint8_t>(p[n - 1]) & 0x80)) value |= ~0ULL << (8 * n);
    return make(static_cast<std::int64_t>(value));
  }
  static Obj text_int(const std::string& s) {
    if (s == "00") return make(false);
    if (s == "01") return make(true);
    try {
      return make<std::int64_t>(std::stoll(s));
    } catch (const std::exception&) {
      throw std::runtime_error("malformed pickle: bad integer '" + s + "'");
    }
  }
  void set_items(const Obj& target, const std::vector<Obj>& items) {
    if (items.size() % 2 != 0) throw std::runtime_error("malformed pickle: odd SETITEMS");
    if (std::holds_alternative<Object>(target->value)) return;  // an unknown mapping: ignore
    auto& dict = as<Dict>(target, "SETITEMS");
    for (size_t i = 0; i < items.size(); i += 2) dict.emplace_back(items[i], items[i + 1]);
  }
  static std::int64_t to_int(const Obj& obj, const char* what) {
    if (auto* v = std::get_if<std::int64_t>(&obj->value)) return *v;
    if (auto* b = std::get_if<bool>(&obj->value)) return *b ? 1 : 0;
    throw std::runtime_error(std::string("malformed tensor: ") + what + " is not an integer");
  }
  static std::vector<std::int64_t> to_ints(const Obj& obj, const char* what) {
    std::vector<std::int64_t> out;
    for (const auto& item : as<Tuple>(obj, what).items) out.push_back(to_int(item, what));
    return out;
  }

  Obj reduce(const Global& g, const std::vector<Obj>& args) {
    if (g.module == "collections" && g.name == "OrderedDict") return make(Dict{});
    if (g.module == "torch._utils" &&
        (g.name == "_rebuild_tensor_v2" || g.name == "_rebuild_tensor")) {
      if (args.size() < 4) throw std::runtime_error("malformed tensor: too few arguments");
      TensorRef t;
      t.storage = as<StorageRef>(args[0], "tensor storage");
      t.offset = to_int(args[1], "storage offset");
      t.size = to_ints(args[2], "size");
      t.stride = to_ints(args[3], "stride");
      if (t.size.size() != t.stride.size())
        throw std::runtime_error("malformed tensor: size and stride differ in length");
      return make(std::move(t));
    }
    if (g.module == "torch.jit._pickle") {
      // TorchScript's pickler (torch::pickle_save) tags typed containers and lists:
      // restore_type_tag(value, "Dict[str, Tensor]"), build_intlist([..]), ...
      if (args.empty())
        throw std::runtime_error("malformed pickle: " + g.name + " without arguments");
      return args[0];
    }
    if (g.module == "torch._utils" && g.name == "_rebuild_parameter") {
      if (args.empty()) throw std::runtime_error("malformed parameter");
      return args[0];
    }
    return make(Object{g});
  }

  Obj persistent_load(const Obj& pid) {
    const auto& items = as<Tuple>(pid, "persistent id").items;
    if (items.size() < 5 || as<std::string>(items[0], "persistent id") != "storage") {
      throw std::runtime_error("unsupported persistent id (not a storage)");
    }
    const auto& type = as<Global>(items[1], "storage type");
    const std::string key = as<std::string>(items[2], "storage key");
    auto storage = storage_for_(key, storage_dtype(type.name));
    StorageRef ref{storage, 0};
    if (items.size() >= 6 && std::holds_alternative<Tuple>(items[5]->value)) {
      // legacy view: (view_key, offset, view_size) into the root storage
      const auto& view = std::get<Tuple>(items[5]->value).items;
      if (view.size() >= 2) ref.offset = to_int(view[1], "view offset");
    }
    return make(std::move(ref));
  }

  Cursor& in_;
  StorageFor storage_for_;
  std::vector<Obj> stack_;
  std::unordered_map<std::uint32_t, Obj> memo_;
};

torch::Tensor materialize(const TensorRef& ref) {
  const auto& storage = *ref.storage.storage;
  if (storage.numel < 0 || storage.data() == nullptr)
    throw std::runtime_error("tensor refers to a storage that is not in the file");
  const std::int64_t element = static_cast<std::int64_t>(c10::elementSize(storage.dtype));
  std::int64_t extent = 0;  // last element index touched, relative to the offset
  for (size_t i = 0; i < ref.size.size(); ++i) {
    if (ref.size[i] < 0 || ref.stride[i] < 0)
      throw std::runtime_error("malformed tensor: negative size or stride");
    if (ref.size[i] == 0) extent = -1;
    if (extent >= 0) extent += (ref.size[i] - 1) * ref.stride[i];
  }
  const std::int64_t start = ref.storage.offset + ref.offset;
  if (start < 0 || (extent >= 0 && start + extent >= storage.numel)) {
    throw std::runtime_error("malformed tensor: it reaches past the end of its storage");
  }
  auto keep = ref.storage.storage;  // the deleter keeps the bytes alive
  auto view = torch::from_blob(
      const_cast<char*>(storage.data()) + start * element, ref.size, ref.stride, [keep](void*) {},
      torch::TensorOptions().dtype(storage.dtype));
  return view.clone();  // own, contiguous memory: the file's buffers can go
}

// The dict of tensors, possibly one level down under a common checkpoint key.
TensorList to_tensor_list(const Obj& root) {
  const Dict* dict = std::get_if<Dict>(&root->value);
  if (dict == nullptr)
    throw std::runtime_error(
        "holds no dict of tensors (a whole pickled nn.Module is not supported: save its "
        "state_dict())");
  auto is_tensor_dict = [](const Dict& d) {
    for (const auto& [k, v] : d) {
      if (std::holds_alternative<TensorRef>(v->value)) return true;
    }
    return false;
  };
  if (!is_tensor_dict(*dict)) {
    for (const char* key : {"state_dict", "model_state_dict", "model", "net", "module"}) {
      for (const auto& [k, v] : *dict) {
        const auto* name = std::get_if<std::string>(&k->value);
        const auto* inner = std::get_if<Dict>(&v->value);
        if (name && inner && *name == key && is_tensor_dict(*inner)) return to_tensor_list(v);
      }
    }
    throw std::runtime_error("holds no tensors (expected a state_dict)");
  }
  TensorList out;
  for (const auto& [k, v] : *dict) {
    const auto* name = std::get_if<std::string>(&k->value);
    const auto* tensor = std::get_if<TensorRef>(&v->value);
    if (name == nullptr || tensor == nullptr) continue;  // e.g. non-tensor metadata entries
    out.emplace_back(*name, materialize(*tensor));
  }
  return out;
}

TensorList read_zip(const std::string& path) {
  caffe2::serialize::PyTorchStreamReader reader(path);
  if (!reader.hasRecord("data.pkl")) {
    throw std::runtime_error(reader.hasRecord("constants.pkl")
                                 ? "is a TorchScript module, not a torch.save state_dict"
                                 : "zip file without data.pkl: not a torch.save file");
  }
  auto [pickle_ptr, pickle_size] = reader.getRecord("data.pkl");
  Cursor cursor(static_cast<const char*>(pickle_ptr.get()), pickle_size);
  std::map<std::string, std::shared_ptr<StorageData>> storages;
  Unpickler unpickler(cursor, [&](const std::string& key, torch::ScalarType dtype) {
    auto& slot = storages[key];
    if (!slot) {
      const std::string record = "data/" + key;
      if (!reader.hasRecord(record))
        throw std::runtime_error("storage record '" + record + "' is missing");
      auto [ptr, size] = reader.getRecord(record);
      slot = std::make_shared<StorageData>();
      slot->dtype = dtype;
      slot->nbytes = size;
      slot->numel = static_cast<std::int64_t>(size / c10::elementSize(dtype));
      slot->record = std::make_shared<at::DataPtr>(std::move(ptr));
    }
    return slot;
  });
  return to_tensor_list(unpickler.run());
}

TensorList read_legacy(const std::string& path) {
  const std::string bytes = core::read_file(path);
  Cursor cursor(bytes.data(), bytes.size());
  std::map<std::string, std::shared_ptr<StorageData>> storages;
  auto no_storage = [](const std::string&, torch::ScalarType) -> std::shared_ptr<StorageData> {
    throw std::runtime_error("malformed header pickle");
  };
  Unpickler(cursor, no_storage).run();  // magic number (checked by the caller)
  const Obj version = Unpickler(cursor, no_storage).run();
  const auto* v = std::get_if<std::int64_t>(&version->value);
  if (v == nullptr || *v != kLegacyProtocolVersion)
    throw std::runtime_error("unsupported legacy protocol version");
  Unpickler(cursor, no_storage).run();  // sys info: little-endian, type sizes
  const Obj root = Unpickler(cursor, [&](const std::string& key, torch::ScalarType dtype) {
                     auto& slot = storages[key];
                     if (!slot) {
                       slot = std::make_shared<StorageData>();
                       slot->dtype = dtype;
                     }
                     return slot;
                   }).run();
  const Obj keys = Unpickler(cursor, no_storage).run();
  const auto* key_list = std::get_if<List>(&keys->value);
  if (key_list == nullptr) throw std::runtime_error("malformed storage key list");
  for (const auto& key_obj : *key_list) {
    const auto* key = std::get_if<std::string>(&key_obj->value);
    if (key == nullptr) throw std::runtime_error("malformed storage key list");
    const auto it = storages.find(*key);
    if (it == storages.end())
      throw std::runtime_error("storage '" + *key + "' is not used by any tensor");
    auto& storage = *it->second;
    const std::int64_t numel = cursor.little<std::int64_t>();
    const size_t element = c10::elementSize(storage.dtype);
    if (numel < 0 || static_cast<std::uint64_t>(numel) > cursor.remaining() / element) {
      throw std::runtime_error("truncated: storage '" + *key +
                               "' needs more bytes than the file has");
    }
    storage.numel = numel;
    storage.nbytes = static_cast<size_t>(numel) * element;
    const char* data = cursor.take(storage.nbytes);
    storage.bytes = std::make_shared<std::vector<char>>(data, data + storage.nbytes);
  }
  if (cursor.remaining() != 0) throw std::runtime_error("trailing bytes after the last storage");
  return to_tensor_list(root);
}

std::string file_head(const std::string& path, size_t n) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw FileError(path, std::ifstream(path).good() ? "cannot open" : "no such file");
  std::string head(n, '\0');
  in.read(head.data(), static_cast<std::streamsize>(n));
  head.resize(static_cast<size_t>(in.gcount()));
  return head;
}

bool is_zip(const std::string& head) {
  return head.rfind("PK\x03\x04", 0) == 0;
}
bool is_legacy(const std::string& head) {
  return head.size() >= sizeof(kLegacyMagic) &&
         std::memcmp(head.data(), kLegacyMagic, sizeof(kLegacyMagic)) == 0;
}

// --- writer (legacy format) -------------------------------------------------------------

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

bool looks_like_pth(const std::string& path) {
  const std::string head = file_head(path, sizeof(kLegacyMagic));
  return is_zip(head) || is_legacy(head);
}

TensorList read_pth(const std::string& path) {
  const std::string head = file_head(path, sizeof(kLegacyMagic));
  try {
    if (is_zip(head) || is_legacy(head)) {
      TensorList tensors = is_zip(head) ? read_zip(path) : read_legacy(path);
      check_finite_weights(tensors, path);
      return tensors;
    }
  } catch (const FileError&) {
    throw;
  } catch (const c10::Error& e) {
    throw FileError(path,
                    "not a readable torch.save file: " + e.msg().substr(0, e.msg().find('\n')));
  } catch (const std::exception& e) {
    throw FileError(path, e.what());
  }
  if (head.empty()) throw FileError(path, "empty file, not a torch.save file");
  throw FileError(path, "not a torch.save file (neither the zip nor the legacy format)");
}

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
