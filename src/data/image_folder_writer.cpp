#include "nnlab/data/image_folder_writer.h"

#include <cstdio>

#include "nnlab/core/atomic_file.h"
#include "nnlab/data/csv.h"
#include "nnlab/data/image_io.h"

namespace nnlab::data {

void write_image_folder(const Dataset& data, const std::string& dir, std::int64_t count) {
  const std::int64_t n = count > 0 ? std::min(count, data.size()) : data.size();
  core::make_directories(dir + "/images");
  const int digits = n > 1000 ? static_cast<int>(std::to_string(n - 1).size()) : 3;
  auto name_of = [&](std::int64_t c) {
    return c < static_cast<std::int64_t>(data.class_names.size())
               ? data.class_names[static_cast<size_t>(c)]
               : std::to_string(c);
  };
  std::string labels = "ImgId,TrueLabel,TrueLabelName\n";
  for (std::int64_t i = 0; i < n; ++i) {
    char id[32];
    std::snprintf(id, sizeof(id), "%0*lld", digits, static_cast<long long>(i));
    save_image(dir + "/images/" + id + ".png", data.images[i]);
    const auto label = data.labels[i].item<std::int64_t>();
    labels += csv_line({id, std::to_string(label), name_of(label)}) + "\n";
  }
  core::write_text_atomically(dir + "/labels.csv", labels);
  std::string categories = "CategoryId,CategoryName\n";
  for (std::int64_t c = 0; c < data.num_classes(); ++c)
    categories += csv_line({std::to_string(c), name_of(c)}) + "\n";
  core::write_text_atomically(dir + "/categories.csv", categories);
}

}  // namespace nnlab::data
