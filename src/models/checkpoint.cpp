#include "nnlab/models/checkpoint.h"

#include <torch/serialize.h>
#include <torch/torch.h>

#include "nnlab/core/atomic_file.h"
#include "nnlab/core/error.h"
#include "nnlab/core/execution_context.h"
#include "nnlab/models/layer_surgery.h"
#include "nnlab/models/registry.h"
#include "nnlab/models/state_dict.h"

namespace nnlab::models {

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
  // The arithmetic the model was trained or tuned in; the weights are float32 whatever it says.
  checkpoint.meta["precision"] = core::to_string(model.precision());
  for (const auto& [name, tensor] : state_dict(model)) {
    checkpoint.state.emplace_back(name, tensor.to(torch::kCPU).clone());
  }
  return checkpoint;
}

void save_checkpoint(const std::string& path, const Checkpoint& checkpoint) {
  Archive archive = checkpoint;
  archive.meta["format"] = kCheckpointFormat;
  archive.meta["version"] = kCheckpointVersion;
  archive.meta["model"] = info_to_json(checkpoint.info);
  save_archive(path, archive);
}

bool is_checkpoint(const TensorList& tensors) {
  return is_archive(tensors);
}

Checkpoint checkpoint_from_tensors(const TensorList& tensors, const std::string& source) {
  Checkpoint checkpoint;
  static_cast<Archive&>(checkpoint) = archive_from_tensors(tensors, source);
  check_archive_format(checkpoint, kCheckpointFormat, kCheckpointVersion, "an nnlab checkpoint",
                       source);
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
