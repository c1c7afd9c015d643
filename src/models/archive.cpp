#include "nnlab/models/archive.h"

#include <torch/serialize.h>

#include <cstring>

#include "nnlab/core/atomic_file.h"
#include "nnlab/core/error.h"
#include "nnlab/core/format_version.h"

namespace nnlab::models {

namespace {

constexpr const char* kMetaKey = "nnlab.meta";
constexpr const char* kModelPrefix = "model.";
constexpr const char* kBlobPrefix = "blob.";
constexpr const char* kMaskPrefix = "mask.";

bool starts_with(const std::string& s, const char* prefix) {
  return s.rfind(prefix, 0) == 0;
}

}  // namespace

torch::Tensor bytes_to_tensor(const std::string& bytes) {
  auto t = torch::empty({static_cast<std::int64_t>(bytes.size())}, torch::kUInt8);
  if (!bytes.empty()) std::memcpy(t.data_ptr(), bytes.data(), bytes.size());
  return t;
}

std::string tensor_to_bytes(const torch::Tensor& tensor) {
  const auto c = tensor.contiguous();
  return std::string(static_cast<const char*>(c.data_ptr()),
                     static_cast<size_t>(c.numel() * c.element_size()));
}

void save_archive(const std::string& path, const Archive& archive) {
  c10::Dict<std::string, torch::Tensor> dict;
  dict.insert(kMetaKey, bytes_to_tensor(archive.meta.dump()));
  for (const auto& [name, tensor] : archive.state) {
    dict.insert(kModelPrefix + name, tensor.to(torch::kCPU).contiguous());
  }
  for (const auto& [name, tensor] : archive.masks) {
    dict.insert(kMaskPrefix + name, tensor.to(torch::kCPU).to(torch::kUInt8).contiguous());
  }
  for (const auto& [name, bytes] : archive.blobs)
    dict.insert(kBlobPrefix + name, bytes_to_tensor(bytes));
  const std::vector<char> data = torch::pickle_save(dict);
  core::write_text_atomically(path, std::string(data.begin(), data.end()));
}

bool is_archive(const TensorList& tensors) {
  for (const auto& [name, tensor] : tensors) {
    if (name == kMetaKey) return true;
  }
  return false;
}

Archive archive_from_tensors(const TensorList& tensors, const std::string& source) {
  Archive archive;
  bool found_meta = false;
  for (const auto& [name, tensor] : tensors) {
    if (name == kMetaKey) {
      try {
        archive.meta = nlohmann::json::parse(tensor_to_bytes(tensor));
      } catch (const nlohmann::json::exception& e) {
        throw core::FileError(source, std::string("damaged nnlab metadata: ") + e.what());
      }
      found_meta = true;
    } else if (starts_with(name, kModelPrefix)) {
      archive.state.emplace_back(name.substr(std::strlen(kModelPrefix)), tensor);
    } else if (starts_with(name, kMaskPrefix)) {
      archive.masks.emplace_back(name.substr(std::strlen(kMaskPrefix)), tensor);
    } else if (starts_with(name, kBlobPrefix)) {
      archive.blobs[name.substr(std::strlen(kBlobPrefix))] = tensor_to_bytes(tensor);
    }
  }
  if (!found_meta) throw core::FileError(source, "not an nnlab file (no metadata entry)");
  if (!archive.meta.is_object()) throw core::FileError(source, "damaged nnlab metadata");
  return archive;
}

Archive read_archive(const std::string& path) {
  return archive_from_tensors(read_pth(path), path);
}

void check_archive_format(const Archive& archive, const std::string& format, int version,
                          const std::string& what, const std::string& source) {
  const std::string found = archive.meta.value("format", "");
  if (found != format) {
    throw core::FileError(source, "not " + what + " (it is " +
                                      (found.empty() ? std::string("an unknown nnlab file")
                                                     : "a file of format '" + found + "'") +
                                      ")");
  }
  // Every writer has stored a version; a file without one is read as version 1.
  const auto it = archive.meta.find("version");
  if (it != archive.meta.end() && !it->is_number_integer()) {
    throw core::FileError(source, "damaged nnlab metadata: \"version\" is not an integer");
  }
  const auto found_version = it == archive.meta.end() ? 1LL : it->get<long long>();
  core::check_format_version(source, format, found_version, 1, version);
}

}  // namespace nnlab::models
