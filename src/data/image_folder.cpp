// The two folder layouts of labelled images. The task layout is the one of the NIPS-2017
// adversarial competition (images/ + a labels CSV + categories.csv); class-per-folder is the
// layout of torchvision's ImageFolder.
#include "nnlab/data/image_folder.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstdio>
#include <filesystem>
#include <map>
#include <memory>

#include "nnlab/core/error.h"
#include "nnlab/core/progress.h"
#include "nnlab/data/csv.h"

namespace nnlab::data {

namespace fs = std::filesystem;

namespace {

// In order of preference when an ImgId has no extension.
const std::vector<std::string> kImageExtensions = {".png", ".jpg", ".jpeg", ".bmp"};
// Below this many images a progress bar would only flicker.
constexpr size_t kProgressThreshold = 50;

std::string to_lower(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return text;
}

std::string trim(const std::string& text) {
  const auto first = text.find_first_not_of(" \t");
  if (first == std::string::npos) return "";
  const auto last = text.find_last_not_of(" \t");
  return text.substr(first, last - first + 1);
}

bool is_image_extension(const std::string& extension) {
  const std::string ext = to_lower(extension);
  return std::find(kImageExtensions.begin(), kImageExtensions.end(), ext) != kImageExtensions.end();
}

bool all_digits(const std::string& text) {
  return !text.empty() &&
         std::all_of(text.begin(), text.end(), [](unsigned char c) { return std::isdigit(c); });
}

std::optional<std::int64_t> parse_integer(const std::string& text) {
  std::string value = trim(text);
  if (!value.empty() && value[0] == '+') value.erase(0, 1);
  std::int64_t result = 0;
  const char* end = value.data() + value.size();
  const auto [ptr, error] = std::from_chars(value.data(), end, result);
  if (value.empty() || error != std::errc() || ptr != end) return std::nullopt;
  return result;
}

// Sorted names of the image files directly in dir.
std::vector<std::string> list_images(const fs::path& dir) {
  std::vector<std::string> names;
  for (const auto& entry : fs::directory_iterator(dir)) {
    const std::string name = entry.path().filename().string();
    if (entry.is_regular_file() && name[0] != '.' &&
        is_image_extension(entry.path().extension().string())) {
      names.push_back(name);
    }
  }
  std::sort(names.begin(), names.end());
  return names;
}

// "line 7: TrueLabel 1001 is outside [0, 1000)" with the offset spelled out when there is one.
void check_label(const std::string& csv, size_t line, const std::string& column, std::int64_t raw,
                 std::int64_t offset, std::int64_t num_classes) {
  const std::int64_t label = raw - offset;
  if (label >= 0 && (num_classes <= 0 || label < num_classes)) return;
  std::string problem = "line " + std::to_string(line) + ": " + column + " " + std::to_string(raw);
  if (offset != 0)
    problem += " (" + std::to_string(label) + " after subtracting the offset " +
               std::to_string(offset) + ")";
  problem +=
      num_classes > 0 ? " is outside [0, " + std::to_string(num_classes) + ")" : " is negative";
  throw core::FileError(csv, problem);
}

std::int64_t require_integer(const CsvTable& table, size_t row, size_t column) {
  const std::string& cell = table.rows()[row][column];
  if (auto value = parse_integer(cell)) return *value;
  throw core::FileError(table.source(), "line " + std::to_string(table.line_of(row)) + ": " +
                                            table.header()[column] + " '" + cell +
                                            "' is not an integer");
}

// Finds the file of an ImgId among the images: the name itself when it carries an image
// extension, otherwise ImgId + .png/.jpg/.jpeg/.bmp, and for a number also a zero-padded name
// ("7" -> "007.png"), since ids are often written without the padding of the file names.
class ImageIndex {
 public:
  explicit ImageIndex(const std::vector<std::string>& names) {
    for (const auto& name : names) {
      const fs::path path(name);
      const std::string stem = path.stem().string();
      const std::string key = stem + to_lower(path.extension().string());
      by_key_.emplace(key, name);
      if (all_digits(stem)) {
        if (auto number = parse_integer(stem)) by_number_.emplace(*number, name);
      }
    }
  }

  std::optional<std::string> find(const std::string& id) const {
    if (is_image_extension(fs::path(id).extension().string())) {
      const fs::path path(id);
      const auto it = by_key_.find(path.stem().string() + to_lower(path.extension().string()));
      if (it != by_key_.end()) return it->second;
      return std::nullopt;
    }
    for (const auto& ext : kImageExtensions) {
      const auto it = by_key_.find(id + ext);
      if (it != by_key_.end()) return it->second;
    }
    if (all_digits(id)) {
      if (auto number = parse_integer(id)) {
        const auto it = by_number_.find(*number);
        if (it != by_number_.end()) return it->second;
      }
    }
    return std::nullopt;
  }

 private:
  std::map<std::string, std::string> by_key_;  // stem + lower-case extension -> file name
  std::multimap<std::int64_t, std::string> by_number_;
};

ImageFolder scan_task_layout(const fs::path& root, const ImageFolderOptions& options) {
  const fs::path labels_path = root / "labels.csv";
  const std::string labels_file = labels_path.string();
  const CsvTable table = CsvTable::read(labels_file);
  const size_t label_column = table.require_column("TrueLabel");
  std::optional<size_t> id_column;
  for (const char* name : {"ImgId", "ImageId", "filename", "File"}) {
    if ((id_column = table.column(name))) break;
  }
  const std::optional<size_t> target_column = table.column("TargetClass");
  const std::optional<size_t> name_column = table.column("TrueLabelName");

  ImageFolder folder;
  folder.root = root.string();
  folder.label_offset = options.label_offset;
  const fs::path categories = root / "categories.csv";
  if (fs::exists(categories))
    folder.class_names = read_categories(categories.string(), options.label_offset);
  const std::int64_t num_classes = options.num_classes > 0
                                       ? options.num_classes
                                       : static_cast<std::int64_t>(folder.class_names.size());

  // Images live in DIR/images; a folder with labels.csv beside the images is accepted too.
  const fs::path images_dir = fs::is_directory(root / "images") ? root / "images" : root;
  const std::vector<std::string> images = list_images(images_dir);
  const ImageIndex index(images);
  const size_t rows = table.rows().size();
  if (!id_column && rows != images.size()) {
    throw core::FileError(labels_file,
                          "has " + std::to_string(rows) + " rows but " + images_dir.string() +
                              " holds " + std::to_string(images.size()) +
                              " images, and no ImgId column says which row is which image");
  }

  std::map<std::string, size_t> first_line_of_file;
  for (size_t r = 0; r < rows; ++r) {
    const auto& row = table.rows()[r];
    const size_t line = table.line_of(r);
    ImageRecord record;
    const std::int64_t raw_label = require_integer(table, r, label_column);
    check_label(labels_file, line, "TrueLabel", raw_label, options.label_offset, num_classes);
    record.label = raw_label - options.label_offset;
    if (target_column && !trim(row[*target_column]).empty()) {
      const std::int64_t raw_target = require_integer(table, r, *target_column);
      check_label(labels_file, line, "TargetClass", raw_target, options.label_offset, num_classes);
      record.target = raw_target - options.label_offset;
    }
    if (name_column) record.label_name = row[*name_column];

    if (id_column) {
      const std::string id = trim(row[*id_column]);
      if (id.empty()) {
        throw core::FileError(
            labels_file, "line " + std::to_string(line) + ": empty " + table.header()[*id_column]);
      }
      const auto file = index.find(id);
      if (!file) {
        const std::string expected =
            is_image_extension(fs::path(id).extension().string()) ? id : id + ".png";
        throw core::FileError((images_dir / expected).string(),
                              "listed in labels.csv line " + std::to_string(line) + " but missing");
      }
      record.file = *file;
      // Two rows for one image would count it twice and may give it two labels.
      const auto [first, inserted] = first_line_of_file.emplace(record.file, line);
      if (!inserted) {
        throw core::FileError(labels_file, "line " + std::to_string(line) + ": image '" + id +
                                               "' is listed twice (first on line " +
                                               std::to_string(first->second) + ")");
      }
    } else {
      // Without ids, rows go with the images in name order (counts checked above).
      record.file = images[r];
    }
    record.path = (images_dir / record.file).string();
    folder.records.push_back(std::move(record));
  }
  return folder;
}

ImageFolder scan_class_folders(const fs::path& root, const ImageFolderOptions& options) {
  std::vector<std::string> classes;
  for (const auto& entry : fs::directory_iterator(root)) {
    const std::string name = entry.path().filename().string();
    if (entry.is_directory() && name[0] != '.') classes.push_back(name);
  }
  std::sort(classes.begin(), classes.end());

  ImageFolder folder;
  folder.root = root.string();
  folder.class_names = classes;
  // Empty class folders stay classes: the label of a class is its place in the sorted list, and
  // that must not depend on which folders happen to hold images.
  for (size_t c = 0; c < classes.size(); ++c) {
    for (const auto& name : list_images(root / classes[c])) {
      ImageRecord record;
      record.file = classes[c] + "/" + name;
      record.path = (root / classes[c] / name).string();
      record.label = static_cast<std::int64_t>(c);
      record.label_name = classes[c];
      folder.records.push_back(std::move(record));
    }
  }
  if (folder.records.empty()) {
    throw core::FileError(root.string(), "no labels.csv and no class subfolders holding images (" +
                                             std::string("*.png, *.jpg, *.jpeg, *.bmp)"));
  }
  if (options.num_classes > 0 && static_cast<std::int64_t>(classes.size()) > options.num_classes) {
    throw core::FileError(root.string(), "has " + std::to_string(classes.size()) +
                                             " class folders, so labels up to " +
                                             std::to_string(classes.size() - 1) + ", outside [0, " +
                                             std::to_string(options.num_classes) + ")");
  }
  return folder;
}

}  // namespace

ImageFolder scan_image_folder(const std::string& dir, const ImageFolderOptions& options) {
  const fs::path root(dir);
  if (!fs::is_directory(root))
    throw core::FileError(dir, fs::exists(root) ? "not a directory" : "no such directory");
  if (fs::exists(root / "labels.csv")) return scan_task_layout(root, options);
  if (fs::is_directory(root / "images")) {
    throw core::FileError(
        (root / "labels.csv").string(),
        "missing: a folder with images/ needs labels.csv (header with a TrueLabel column)");
  }
  return scan_class_folders(root, options);
}

std::vector<std::string> read_categories(const std::string& path, std::int64_t offset) {
  const CsvTable table = CsvTable::read(path);
  const size_t id_column = table.require_column("CategoryId");
  const size_t name_column = table.require_column("CategoryName");
  std::map<std::int64_t, std::string> names;
  for (size_t r = 0; r < table.rows().size(); ++r) {
    const std::int64_t id = require_integer(table, r, id_column) - offset;
    const std::string line = "line " + std::to_string(table.line_of(r)) + ": ";
    if (id < 0) {
      throw core::FileError(path, line + "CategoryId " + std::to_string(id + offset) +
                                      " is below the offset " + std::to_string(offset));
    }
    if (!names.emplace(id, table.rows()[r][name_column]).second) {
      throw core::FileError(path,
                            line + "CategoryId " + std::to_string(id + offset) + " appears twice");
    }
  }
  if (names.empty()) return {};
  // Ids with no row (a gap) are named by their number, so index -> name stays total.
  std::vector<std::string> result(static_cast<size_t>(names.rbegin()->first + 1));
  for (size_t i = 0; i < result.size(); ++i) {
    const auto it = names.find(static_cast<std::int64_t>(i));
    result[i] = it != names.end() ? it->second : std::to_string(i);
  }
  return result;
}

Dataset load_image_folder(const ImageFolder& folder, const ImageLoadOptions& options) {
  Dataset out;
  out.source = folder.root;
  out.class_names = folder.class_names;
  const auto count = static_cast<std::int64_t>(folder.records.size());
  out.labels = torch::empty({count}, torch::kLong);
  auto labels = out.labels.accessor<std::int64_t, 1>();
  out.files.reserve(folder.records.size());

  std::unique_ptr<core::Progress> progress;
  if (folder.records.size() > kProgressThreshold) {
    progress = std::make_unique<core::Progress>("loading " + folder.root, count, "img");
  }
  std::int64_t resized = 0;
  for (std::int64_t i = 0; i < count; ++i) {
    const ImageRecord& record = folder.records[i];
    // One warning line for the first resized image, a count for the rest at the end.
    ImageLoadOptions load = options;
    load.warn_on_resize = options.warn_on_resize && resized == 0;
    ImageLoadInfo info;
    const torch::Tensor image = load_image(record.path, load, &info);
    if (info.resized) ++resized;
    if (i == 0) {
      out.images =
          torch::empty({count, image.size(0), image.size(1), image.size(2)}, torch::kFloat);
    } else if (image.sizes() != out.images.sizes().slice(1)) {
      throw core::FileError(record.path, "is " + std::to_string(image.size(1)) + "x" +
                                             std::to_string(image.size(2)) +
                                             " (height x width) but " + folder.records[0].path +
                                             " is " + std::to_string(out.images.size(2)) + "x" +
                                             std::to_string(out.images.size(3)) +
                                             "; give a height and width to bring them to one size");
    }
    out.images[i].copy_(image);
    labels[i] = record.label;
    out.files.push_back(record.file);
    if (progress) progress->advance();
  }
  if (progress) progress->finish();
  if (count == 0)
    out.images = torch::empty({0, options.channels, options.height, options.width}, torch::kFloat);
  if (options.warn_on_resize && resized > 1) {
    std::fprintf(stderr,
                 "nnlab: warning: %s: %lld more images resized and centre-cropped the same way\n",
                 folder.root.c_str(), static_cast<long long>(resized - 1));
  }
  return out;
}

std::string output_file_name(const ImageRecord& record) {
  return fs::path(record.file).replace_extension(".png").string();
}

ImageFolder scan_nonempty_image_folder(const std::string& dir, const ImageFolderOptions& options) {
  auto folder = scan_image_folder(dir, options);
  if (folder.records.empty()) throw core::FileError(dir, "holds no images");
  return folder;
}

Dataset load_image_folder_of_size(const ImageFolder& folder, int channels, std::int64_t height,
                                  std::int64_t width) {
  if (folder.records.empty()) throw core::FileError(folder.root, "holds no images");
  Dataset out;
  std::vector<std::string> paths;
  std::vector<std::int64_t> labels;
  for (const auto& record : folder.records) {
    paths.push_back(record.path);
    labels.push_back(record.label);
    out.files.push_back(output_file_name(record));
  }
  out.images = load_images_of_size(paths, channels, height, width);
  out.labels = torch::tensor(labels, torch::kLong);
  out.class_names = folder.class_names;
  out.source = folder.root;
  return out;
}

}  // namespace nnlab::data
