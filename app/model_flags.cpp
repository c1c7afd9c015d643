#include "model_flags.h"

#include <torch/torch.h>

#include <algorithm>
#include <sstream>

#include "flag_domains.h"
#include "nnlab/compress/nnz_format.h"
#include "nnlab/compress/nnz_model.h"
#include "nnlab/core/error.h"
#include "nnlab/models/model_loader.h"
#include "nnlab/models/registry.h"

namespace nnlab::app {

void add_model_flags(CLI::App& command, ModelFlags& flags, bool allow_fresh) {
  command.add_option("-m,--model", flags.model,
                     "model file: nnlab checkpoint, .pth state_dict (with --arch) or TorchScript");
  command.add_option("--weights", flags.weights, "torchvision-style .pth state_dict for --arch");
  command.add_option("--arch", flags.arch,
                     allow_fresh ? "architecture (alone: a freshly initialized model)"
                                 : "architecture of a .pth state_dict");
  command
      .add_option("--num-classes", flags.num_classes,
                  "classes of a .pth state_dict (default: the architecture's)")
      ->check(domain::positive());
  command.add_option("--input-size", flags.input_size,
                     "TorchScript input size CxHxW (default 3x224x224)");
  command
      .add_option("--normalize", flags.normalize,
                  "TorchScript input normalization: none, imagenet or M,M,M/S,S,S")
      ->capture_default_str();
}

namespace {

std::vector<std::string> split_list(const std::string& text) {
  std::vector<std::string> out;
  std::stringstream in(text);
  std::string item;
  while (std::getline(in, item, ',')) out.push_back(item);
  if (out.empty()) out.emplace_back();
  return out;
}

models::Classifier load_one(const ModelFlags& flags, const std::string& path,
                            const std::string& arch, const core::ExecutionContext& context,
                            bool allow_fresh) {
  if (path.empty()) {
    if (allow_fresh && !arch.empty()) {
      auto model = models::create_model(arch, {flags.num_classes, 0});
      model.to(context);
      model.eval();
      return model;
    }
    throw core::OptionError("--model",
                            "no model given (--model FILE, or --weights FILE.pth --arch NAME)");
  }
  models::ModelSource source;
  source.path = path;
  source.arch = arch;
  source.num_classes = flags.num_classes;
  source.normalize = flags.normalize;
  if (!flags.input_size.empty()) {
    long long c = 0, h = 0, w = 0;
    char x1 = 0, x2 = 0;
    if (std::sscanf(flags.input_size.c_str(), "%lld%c%lld%c%lld", &c, &x1, &h, &x2, &w) != 5 ||
        x1 != 'x' || x2 != 'x' || c <= 0 || h <= 0 || w <= 0) {
      throw core::OptionError("--input-size",
                              "expected CxHxW such as 3x224x224, got '" + flags.input_size + "'");
    }
    source.in_channels = c;
    source.height = h;
    source.width = w;
  }
  auto model = load_model_file(source);
  model.to(context);
  model.eval();
  return model;
}

}  // namespace

models::Classifier load_model_file(const models::ModelSource& source) {
  if (!compress::is_nnz_file(source.path)) return models::load_model(source);
  // A compressed model decodes to a dense one.
  auto model = models::classifier_from_checkpoint(
      compress::nnz_to_checkpoint(compress::read_nnz(source.path)), source.path);
  model.eval();
  return model;
}

std::vector<models::Classifier> load_models_from_flags(const ModelFlags& flags,
                                                       const core::ExecutionContext& context,
                                                       bool allow_fresh) {
  if (!flags.model.empty() && !flags.weights.empty()) {
    throw core::OptionError("--weights", "give either --model or --weights, not both");
  }
  const auto paths = split_list(flags.model.empty() ? flags.weights : flags.model);
  const auto archs = split_list(flags.arch);
  const auto count = std::max(paths.size(), archs.size());
  // A single --arch applies to every file (several .pth of one architecture); otherwise the
  // lists pair up one to one.
  if ((paths.size() != count && paths.size() != 1) ||
      (archs.size() != count && archs.size() != 1) ||
      (paths.size() == 1 && count > 1 && !paths[0].empty())) {
    throw core::OptionError("--arch", "names " + std::to_string(archs.size()) +
                                          " model(s) but --model/--weights names " +
                                          std::to_string(paths.size()));
  }
  std::vector<models::Classifier> models;
  for (size_t i = 0; i < count; ++i) {
    models.push_back(load_one(flags, paths[paths.size() == 1 ? 0 : i],
                              archs[archs.size() == 1 ? 0 : i], context, allow_fresh));
  }
  return models;
}

models::Classifier load_model_from_flags(const ModelFlags& flags,
                                         const core::ExecutionContext& context, bool allow_fresh) {
  auto models = load_models_from_flags(flags, context, allow_fresh);
  if (models.size() == 1) return models.front();
  return models::Classifier::ensemble(std::move(models));
}

data::DataSpecOptions data_options_for(const models::ModelInfo& info) {
  data::DataSpecOptions options;
  options.image.channels = static_cast<int>(info.in_channels);
  options.image.height = static_cast<int>(info.height);
  options.image.width = static_cast<int>(info.width);
  options.num_classes = info.num_classes;
  return options;
}

std::string data_spec_for(const models::ModelInfo& info, const std::string& data) {
  if (!data.empty()) return data;
  if (info.in_channels != 1 || info.height != 28) {
    throw core::OptionError("--data", "required for a " + std::to_string(info.in_channels) + "x" +
                                          std::to_string(info.height) + "x" +
                                          std::to_string(info.width) + " model");
  }
  return "fashion-mnist";
}

}  // namespace nnlab::app
