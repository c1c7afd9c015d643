// Writes a labelled set in the image-folder task layout: DIR/images/NNN.png, DIR/labels.csv
// (ImgId,TrueLabel,TrueLabelName) and DIR/categories.csv (CategoryId,CategoryName). Turns any data
// set (Fashion-MNIST, ...) into input for predict and attack.
#pragma once

#include <string>

#include "nnlab/data/dataset.h"

namespace nnlab::data {

// Writes the first `count` images (all when count <= 0). Every file is written atomically.
void write_image_folder(const Dataset& data, const std::string& dir, std::int64_t count = 0);

}  // namespace nnlab::data
