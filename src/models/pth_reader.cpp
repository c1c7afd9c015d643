// torch.save files without Python. Two containers hold the same pickle (models/pickle.h):
//  * zip (PyTorch >= 1.6): <prefix>/data.pkl and one record <prefix>/data/<key> per storage;
//  * legacy (torchvision's 2017 files): five things back to back — pickled magic number,
//    protocol version (1001), sys info, the object, the sorted storage keys — then for each key
//    an int64 element count and the raw little-endian storage bytes.
// Every read is bounds-checked: a bad file is an error, never an out-of-bounds read.
#include "nnlab/models/pth_reader.h"

#include <caffe2/serialize/inline_container.h>
#include <torch/types.h>

#include <cstring>
#include <fstream>
#include <map>
#include <memory>

#include "nnlab/core/atomic_file.h"
#include "nnlab/core/error.h"
#include "nnlab/models/finite_weights.h"
#include "nnlab/models/pickle.h"

namespace nnlab::models {

namespace {

using core::FileError;
using namespace pickle;

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
  const Obj root = unpickle(cursor, [&](const std::string& key, torch::ScalarType dtype) {
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
  return to_tensor_list(root);
}

TensorList read_legacy(const std::string& path) {
  const std::string bytes = core::read_file(path);
  Cursor cursor(bytes.data(), bytes.size());
  std::map<std::string, std::shared_ptr<StorageData>> storages;
  auto no_storage = [](const std::string&, torch::ScalarType) -> std::shared_ptr<StorageData> {
    throw std::runtime_error("malformed header pickle");
  };
  unpickle(cursor, no_storage);  // magic number (checked by the caller)
  const Obj version = unpickle(cursor, no_storage);
  const auto* v = std::get_if<std::int64_t>(&version->value);
  if (v == nullptr || *v != kLegacyProtocolVersion)
    throw std::runtime_error("unsupported legacy protocol version");
  unpickle(cursor, no_storage);  // sys info: little-endian, type sizes
  const Obj root = unpickle(cursor, [&](const std::string& key, torch::ScalarType dtype) {
    auto& slot = storages[key];
    if (!slot) {
      slot = std::make_shared<StorageData>();
      slot->dtype = dtype;
    }
    return slot;
  });
  const Obj keys = unpickle(cursor, no_storage);
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

}  // namespace nnlab::models
