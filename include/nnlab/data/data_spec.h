// A data set spec: "fashion-mnist" (Debian's dataset-fashion-mnist), "mnist:DIR" / "idx:DIR" (any
// IDX set), "folder:DIR" or a plain DIR (task layout or class-per-folder; used as the test split).
#pragma once

#include <string>

#include "nnlab/data/dataset.h"
#include "nnlab/data/image_io.h"

namespace nnlab::data {

struct DataSpecOptions {
  ImageLoadOptions image;        // for folders
  std::int64_t num_classes = 0;  // for folders: label range check
  std::int64_t label_offset =
      0;  // for folders: subtracted from labels.csv (1 for 1-based ImageNet)
};

// Resolves and loads the spec. Throws core::OptionError for an unknown spec and core::FileError
// for unreadable data. A folder spec yields an empty train split.
TrainTestSplit load_data(const std::string& spec, const DataSpecOptions& options = {});

}  // namespace nnlab::data
