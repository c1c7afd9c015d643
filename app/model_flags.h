// The flags that name a model, shared by every command that loads one:
//   --model FILE (checkpoint, .nnz compressed model, .pth state_dict with --arch, TorchScript) |
//   --weights FILE.pth --arch A | --arch A alone (a fresh model). Each may be a comma-separated
//   list naming several models
//   (--arch vgg16,resnet50 --weights vgg16.pth,resnet50.pth): an ensemble, or the victims of
//   attack-eval.
#pragma once

#include <CLI/CLI.hpp>
#include <string>
#include <vector>

#include "nnlab/core/execution_context.h"
#include "nnlab/data/data_spec.h"
#include "nnlab/models/classifier.h"
#include "nnlab/models/model_loader.h"

namespace nnlab::app {

struct ModelFlags {
  std::string model;
  std::string weights;
  std::string arch;
  std::int64_t num_classes = 0;
  std::string input_size;          // CxHxW for TorchScript modules
  std::string normalize = "none";  // TorchScript modules: none | imagenet | M,M,M/S,S,S
};

void add_model_flags(CLI::App& command, ModelFlags& flags, bool allow_fresh = false);

// Any model file nnlab reads -- models::load_model's kinds and the compressed .nnz (which lives in
// compress, above models) -- on the CPU, in eval mode.
models::Classifier load_model_file(const models::ModelSource& source);

// Loads the model named by the flags onto the context's device, in eval mode. With allow_fresh and
// only
// --arch, returns a freshly initialized model.
models::Classifier load_model_from_flags(const ModelFlags& flags,
                                         const core::ExecutionContext& context,
                                         bool allow_fresh = false);

// Every model the flags name, one per list entry (a single entry: one model).
std::vector<models::Classifier> load_models_from_flags(const ModelFlags& flags,
                                                       const core::ExecutionContext& context,
                                                       bool allow_fresh = false);

// The --data spec for a model: `data` as given, or fashion-mnist for a 1x28x28 model when empty
// (core::OptionError naming --data for other models).
std::string data_spec_for(const models::ModelInfo& info, const std::string& data);

// --data options that load images the way the model takes them (channels, size, classes).
data::DataSpecOptions data_options_for(const models::ModelInfo& info);

}  // namespace nnlab::app
