#include "nnlab/data/data_spec.h"

#include <filesystem>

#include "nnlab/core/error.h"
#include "nnlab/data/idx.h"
#include "nnlab/data/image_folder.h"

namespace nnlab::data {

namespace fs = std::filesystem;

namespace {

bool starts_with(const std::string& text, const std::string& prefix) {
  return text.compare(0, prefix.size(), prefix) == 0;
}

// A plain directory may hold an IDX set as well as images; the IDX test file decides.
bool holds_idx(const fs::path& dir) {
  return fs::exists(dir / "t10k-images-idx3-ubyte") ||
         fs::exists(dir / "t10k-images-idx3-ubyte.gz");
}

TrainTestSplit load_folder(const std::string& dir, const DataSpecOptions& options) {
  ImageFolderOptions scan;
  scan.num_classes = options.num_classes;
  scan.label_offset = options.label_offset;
  TrainTestSplit split;
  split.test = load_image_folder(scan_image_folder(dir, scan), options.image);
  return split;
}

}  // namespace

TrainTestSplit load_data(const std::string& spec, const DataSpecOptions& options) {
  if (spec == "fashion-mnist") {
    if (!fs::is_directory(kFashionMnistDir)) {
      throw core::FileError(kFashionMnistDir,
                            "no such directory: install Debian's dataset-fashion-mnist "
                            "(apt install dataset-fashion-mnist) or pass load_data.spec idx:DIR");
    }
    return load_idx_dir(kFashionMnistDir, fashion_mnist_classes());
  }
  for (const std::string prefix : {"mnist:", "idx:", "folder:"}) {
    if (!starts_with(spec, prefix)) continue;
    const std::string dir = spec.substr(prefix.size());
    if (dir.empty())
      throw core::OptionError("load_data.spec",
                              "'" + spec + "' names no directory after '" + prefix + "'");
    return prefix == "folder:" ? load_folder(dir, options) : load_idx_dir(dir);
  }
  if (!spec.empty() && fs::is_directory(spec)) {
    return holds_idx(spec) ? load_idx_dir(spec) : load_folder(spec, options);
  }
  throw core::OptionError("load_data.spec",
                          "'" + spec +
                              "' is neither a data set nor an existing directory (expected "
                              "fashion-mnist, mnist:DIR, idx:DIR, folder:DIR or a directory)");
}

}  // namespace nnlab::data
