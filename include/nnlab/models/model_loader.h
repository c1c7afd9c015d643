// One entry point from a model file to a Classifier, whatever the file is: an nnlab checkpoint,
// a torch.save state_dict (.pth, zip or legacy; needs the architecture), or a TorchScript module.
#pragma once

#include <string>
#include <vector>

#include "nnlab/models/classifier.h"

namespace nnlab::models {

enum class ModelFileKind { kCheckpoint, kStateDict, kTorchScript };

struct ModelSource {
  std::string path;
  std::string arch;              // required for a state_dict; checked against a checkpoint's
  std::int64_t num_classes = 0;  // state_dict: 0 = the architecture's default
  // TorchScript modules carry no metadata: their input spec and normalization come from here.
  std::int64_t in_channels = 3;
  std::int64_t height = 224;
  std::int64_t width = 224;
  std::string normalize = "none";  // "none", "imagenet", or "m1,m2,m3/s1,s2,s3"
};

// Throws core::FileError for a missing or unrecognized file, naming it.
ModelFileKind detect_model_file(const std::string& path);

// Loads the model on the CPU, in eval mode.
Classifier load_model(const ModelSource& source);

// Parses a normalization spec (ModelSource::normalize); throws core::OptionError.
void parse_normalization(const std::string& spec, std::vector<double>& mean,
                         std::vector<double>& std);

}  // namespace nnlab::models
