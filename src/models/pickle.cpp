#include "nnlab/models/pickle.h"

#include <cstdio>
#include <map>
#include <unordered_map>

namespace nnlab::models::pickle {

namespace {

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

class Unpickler {
 public:
  Unpickler(Cursor& in, const StorageFor& storage_for) : in_(in), storage_for_(storage_for) {}

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
  const StorageFor& storage_for_;
  std::vector<Obj> stack_;
  std::unordered_map<std::uint32_t, Obj> memo_;
};

}  // namespace

Obj unpickle(Cursor& in, const StorageFor& storage_for) {
  return Unpickler(in, storage_for).run();
}

}  // namespace nnlab::models::pickle
