#include "nnlab/models/checkpoint.h"

#include <torch/serialize.h>
#include <torch/torch.h>

#include "nnlab/core/atomic_file.h"
#include "nnlab/core/error.h"
#include "nnlab/models/layer_surgery.h"
#include "nnlab/models/registry.h"
#include "nnlab/models/state_dict.h"

namespace nnlab::models {

namespace {

constexpr const char* kMetaKey = "nnlab.meta";
constexpr const char* kModelPrefix = "model.";
constexpr const char* kBlobPrefix = "blob.";
constexpr const char* kMaskPrefix = "mask.";

torch::Tensor bytes_to_tensor(const std::string& bytes) {
  auto t = torch::empty({static_cast<std::int64_t>(bytes.size())}, torch::kUInt8);
  if (!bytes.empty()) std::memcpy(t.data_ptr(), bytes.data(), bytes.size());
  return t;
}

std::string tensor_to_bytes(const torch::Tensor& t) {
  const auto c = t.contiguous();
  return std::string(static_cast<const char*>(c.data_ptr()),
                     static_cast<size_t>(c.numel() * c.element_size()));
}

}  // namespace

nlohmann::json info_to_json(const ModelInfo& info) {
  nlohmann::json edits = nlohmann::json::array();
  for (const auto& edit : info.edits) {
    nlohmann::json e = {{"op", edit.op}, {"layer", edit.layer}};
    if (edit.op == "factorize") e["rank"] = edit.rank;
    if (edit.op == "separate") e["batch_norm"] = edit.batch_norm;
    edits.push_back(std::move(e));
  }
  return {{"arch", info.arch},
          {"edits", edits},
          {"widths_from_weights", info.widths_from_weights},
          {"num_classes", info.num_classes},
          {"in_channels", info.in_channels},
          {"height", info.height},
          {"width", info.width},
          {"mean", info.mean},
          {"std", info.std},
          {"class_names", info.class_names}};
}

ModelInfo info_from_json(const nlohmann::json& j, const std::string& source) {
  try {
    ModelInfo info;
    info.arch = j.at("arch").get<std::string>();
    info.num_classes = j.at("num_classes").get<std::int64_t>();
    info.in_channels = j.at("in_channels").get<std::int64_t>();
    info.height = j.at("height").get<std::int64_t>();
    info.width = j.at("width").get<std::int64_t>();
    info.mean = j.at("mean").get<std::vector<double>>();
    info.std = j.at("std").get<std::vector<double>>();
    info.class_names = j.value("class_names", std::vector<std::string>{});
    for (const auto& e : j.value("edits", nlohmann::json::array())) {
      info.edits.push_back({e.at("op").get<std::string>(), e.at("layer").get<std::string>(),
                            e.value("rank", std::int64_t{0}), e.value("batch_norm", false)});
    }
    info.widths_from_weights = j.value("widths_from_weights", false);
    return info;
  } catch (const nlohmann::json::exception& e) {
    throw core::FileError(source, std::string("bad model metadata: ") + e.what());
  }
}

Checkpoint make_checkpoint(const Classifier& model) {
  Checkpoint checkpoint;
  checkpoint.info = model.info();
  for (const auto& [name, tensor] : state_dict(model)) {
    checkpoint.state.emplace_back(name, tensor.to(torch::kCPU).clone());
  }
  return checkpoint;
}

void save_checkpoint(const std::string& path, const Checkpoint& checkpoint) {
  c10::Dict<std::string, torch::Tensor> dict;
  nlohmann::json meta = checkpoint.meta;
  meta["format"] = kCheckpointFormat;
  meta["version"] = kCheckpointVersion;
  meta["model"] = info_to_json(checkpoint.info);
  dict.insert(kMetaKey, bytes_to_tensor(meta.dump()));
  for (const auto& [name, tensor] : checkpoint.state) {
    dict.insert(kModelPrefix + name, tensor.to(torch::kCPU).contiguous());
  }
  for (const auto& [name, tensor] : checkpoint.masks) {
    dict.insert(kMaskPrefix + name, tensor.to(torch::kCPU).to(torch::kUInt8).contiguous());
  }
  for (const auto& [name, bytes] : checkpoint.blobs)
    dict.insert(kBlobPrefix + name, bytes_to_tensor(bytes));
  const std::vector<char> data = torch::pickle_save(dict);
  core::write_text_atomically(path, std::string(data.begin(), data.end()));
}

bool is_checkpoint(const TensorList& tensors) {
  for (const auto& [name, tensor] : tensors) {
    if (name == kMetaKey) return true;
  }
  return false;
}

Checkpoint checkpoint_from_tensors(const TensorList& tensors, const std::string& source) {
  Checkpoint checkpoint;
  bool found_meta = false;
  for (const auto& [name, tensor] : tensors) {
    if (name == kMetaKey) {
      try {
        checkpoint.meta = nlohmann::json::parse(tensor_to_bytes(tensor));
      } catch (const nlohmann::json::exception& e) {
        throw core::FileError(source, std::string("damaged checkpoint metadata: ") + e.what());
      }
      found_meta = true;
    } else if (name.rfind(kModelPrefix, 0) == 0) {
      checkpoint.state.emplace_back(name.substr(std::strlen(kModelPrefix)), tensor);
    } else if (name.rfind(kMaskPrefix, 0) == 0) {
      checkpoint.masks.emplace_back(name.substr(std::strlen(kMaskPrefix)), tensor);
    } else if (name.rfind(kBlobPrefix, 0) == 0) {
      checkpoint.blobs[name.substr(std::strlen(kBlobPrefix))] = tensor_to_bytes(tensor);
    }
  }
  if (!found_meta) throw core::FileError(source, "not an nnlab checkpoint (no metadata entry)");
  if (checkpoint.meta.value("format", "") != kCheckpointFormat) {
    throw core::FileError(
        source, "not an nnlab checkpoint (format '" + checkpoint.meta.value("format", "") + "')");
  }
  if (checkpoint.meta.value("version", 0) > kCheckpointVersion) {
    throw core::FileError(
        source, "checkpoint version " + std::to_string(checkpoint.meta.value("version", 0)) +
                    " is newer than this nnlab reads (" + std::to_string(kCheckpointVersion) + ")");
  }
  if (!checkpoint.meta.contains("model"))
    throw core::FileError(source, "checkpoint without model metadata");
  checkpoint.info = info_from_json(checkpoint.meta["model"], source);
  return checkpoint;
}

Checkpoint read_checkpoint(const std::string& path) {
  return checkpoint_from_tensors(read_pth(path), path);
}

Classifier classifier_from_checkpoint(const Checkpoint& checkpoint, const std::string& source) {
  const auto& info = checkpoint.info;
  Classifier model = [&] {
    try {
      return create_model(info.arch, {info.num_classes, info.in_channels});
    } catch (const core::OptionError& e) {
      throw core::FileError(
          source, std::string("checkpoint names an architecture this nnlab lacks: ") + e.what());
    }
  }();
  model.info() = info;
  if (!info.edits.empty() || info.widths_from_weights) {
    const auto module = model.module();
    if (!module) throw core::FileError(source, "layer edits on a model that is not native");
    try {
      apply_edits(*module, info.edits);
      if (info.widths_from_weights) resize_to_shapes(*module, checkpoint.state);
    } catch (const std::invalid_argument& e) {
      throw core::FileError(source,
                            std::string("cannot rebuild the model's structure: ") + e.what());
    }
  }
  load_state_dict(model, checkpoint.state, source);
  return model;
}

}  // namespace nnlab::models
