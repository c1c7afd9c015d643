// The image-folder layouts.
//  * Task layout: DIR/images/NNN.png, DIR/labels.csv (header; TrueLabel required; ImgId,
//    TargetClass, TrueLabelName optional, found by name), optional DIR/categories.csv
//    (CategoryId,CategoryName).
//  * Class-per-folder layout: DIR/<class>/*.{png,jpg,jpeg,bmp}, classes sorted by name.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "nnlab/data/dataset.h"
#include "nnlab/data/image_io.h"

namespace nnlab::data {

struct ImageRecord {
  std::string file;  // path relative to the images folder, e.g. "000.png"
  std::string path;  // full path
  std::int64_t label = -1;
  std::optional<std::int64_t> target;  // TargetClass, when given
  std::string label_name;              // TrueLabelName, when given
};

struct ImageFolder {
  std::string root;
  std::vector<ImageRecord> records;
  std::vector<std::string> class_names;  // from categories.csv or folder names; may be empty
  std::int64_t label_offset = 0;         // subtracted from labels.csv values (see load options)
};

struct ImageFolderOptions {
  std::int64_t num_classes = 0;  // > 0: labels outside [0, num_classes) are an error
  // ImageNet label files of the NIPS-2017 task are 1-based (1..1000, 0 = background). 0: as is;
  // 1: subtract one. "auto" is not guessed: the caller decides.
  std::int64_t label_offset = 0;
};

// Reads the labels (not the pixels). Detects the layout: labels.csv present -> task layout;
// otherwise class-per-folder. Throws core::FileError naming the file and the problem.
ImageFolder scan_image_folder(const std::string& dir, const ImageFolderOptions& options = {});

// Loads every image of the folder (in records order) into a Dataset.
Dataset load_image_folder(const ImageFolder& folder, const ImageLoadOptions& options = {});

// The name a file made from an image gets in a folder of results (nnlab attack's adversarial
// images): the image's path in the images folder with a .png extension ("a/001.jpg" ->
// "a/001.png").
std::string output_file_name(const ImageRecord& record);

// A folder an attack or an evaluation reads: scan_image_folder, and a core::FileError
// "DIR: holds no images" when it holds none.
ImageFolder scan_nonempty_image_folder(const std::string& dir,
                                       const ImageFolderOptions& options = {});

// The folder's images at one size (a model's input: channels x height x width), never resized (a
// file of another size is a core::FileError naming it: load_images_of_size); labels, class names,
// source, and files named by output_file_name, so that results written under them line up with
// the images. Throws "holds no images" for an empty folder.
Dataset load_image_folder_of_size(const ImageFolder& folder, int channels, std::int64_t height,
                                  std::int64_t width);

// Reads categories.csv (CategoryId,CategoryName) into index -> name, ids taken as given.
std::vector<std::string> read_categories(const std::string& path, std::int64_t offset = 0);

}  // namespace nnlab::data
