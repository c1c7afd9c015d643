#include "nnlab/data/image_folder.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "data/data_test_util.h"
#include "nnlab/core/error.h"

namespace nnlab::data {
namespace {

using testing_util::contains;
using testing_util::error_of;
using testing_util::TempDir;
using testing_util::write_bytes;

constexpr ImageLoadOptions kAsStored{/*channels=*/3, /*height=*/0, /*width=*/0};

// An 8x8 image of one grey level, so each file is recognisable after loading.
torch::Tensor grey(float level, std::int64_t size = 8) {
  return torch::full({3, size, size}, level);
}

// DIR/images/000.png .. 002.png with levels 0.0, 0.4, 0.8.
void write_task_images(const TempDir& dir) {
  std::filesystem::create_directories(dir / "images");
  for (int i = 0; i < 3; ++i)
    save_image(dir / ("images/00" + std::to_string(i) + ".png"), grey(0.4f * i));
}

TEST(ImageFolder, TaskLayoutWithColumnsInAnyOrder) {
  TempDir dir;
  write_task_images(dir);
  // Ids without padding or extension ("2" -> 002.png) and with an extension.
  write_bytes(dir / "labels.csv",
              "TargetClass,TrueLabelName,TrueLabel,ImgId\r\n"
              "5,\"jay, blue\",7,2\r\n"
              ",tench,0,000.png\r\n"
              "1,goldfish,1,001\r\n");
  const ImageFolder folder = scan_image_folder(dir.str(), {/*num_classes=*/10});
  ASSERT_EQ(folder.records.size(), 3u);
  EXPECT_EQ(folder.records[0].file, "002.png");
  EXPECT_EQ(folder.records[0].path, dir / "images/002.png");
  EXPECT_EQ(folder.records[0].label, 7);
  EXPECT_EQ(folder.records[0].target, 5);
  EXPECT_EQ(folder.records[0].label_name, "jay, blue");
  EXPECT_EQ(folder.records[1].file, "000.png");
  EXPECT_FALSE(folder.records[1].target.has_value());
  EXPECT_EQ(folder.records[2].file, "001.png");
  EXPECT_EQ(folder.records[2].label_name, "goldfish");

  const Dataset data = load_image_folder(folder, kAsStored);
  ASSERT_EQ(data.images.sizes(), (std::vector<std::int64_t>{3, 3, 8, 8}));
  EXPECT_TRUE(torch::equal(data.labels, torch::tensor({7, 0, 1}, torch::kLong)));
  EXPECT_EQ(data.files, (std::vector<std::string>{"002.png", "000.png", "001.png"}));
  EXPECT_TRUE(torch::equal(data.images[0], quantize_to_8bit(grey(0.8f))));
  EXPECT_TRUE(torch::equal(data.images[1], quantize_to_8bit(grey(0.0f))));
  EXPECT_EQ(data.source, dir.str());
}

TEST(ImageFolder, CategoriesAndOneBasedLabels) {
  TempDir dir;
  write_task_images(dir);
  write_bytes(dir / "labels.csv", "ImgId,TrueLabel\n0,1\n1,3\n2,2\n");
  write_bytes(dir / "categories.csv",
              "CategoryId,CategoryName\n1,tench\n2,goldfish\n3,\"shark, white\"\n");
  ImageFolderOptions options;
  options.label_offset = 1;
  const ImageFolder folder = scan_image_folder(dir.str(), options);
  EXPECT_EQ(folder.class_names, (std::vector<std::string>{"tench", "goldfish", "shark, white"}));
  EXPECT_EQ(folder.label_offset, 1);
  EXPECT_EQ(folder.records[1].label, 2);
  const Dataset data = load_image_folder(folder, kAsStored);
  EXPECT_EQ(data.num_classes(), 3);
  EXPECT_EQ(data.class_names[2], "shark, white");
  // categories.csv bounds the labels when no class count is given.
  write_bytes(dir / "labels.csv", "ImgId,TrueLabel\n0,1\n1,4\n2,2\n");
  EXPECT_TRUE(contains(
      error_of<core::FileError>([&] { scan_image_folder(dir.str(), options); }),
      dir /
          "labels.csv: line 3: TrueLabel 4 (3 after subtracting the offset 1) is outside [0, 3)"));
}

TEST(ImageFolder, RowsFollowSortedImagesWithoutAnIdColumn) {
  TempDir dir;
  write_task_images(dir);
  write_bytes(dir / "labels.csv", "TrueLabel\n4\n5\n6\n");
  const ImageFolder folder = scan_image_folder(dir.str());
  ASSERT_EQ(folder.records.size(), 3u);
  EXPECT_EQ(folder.records[2].file, "002.png");
  EXPECT_EQ(folder.records[2].label, 6);
  write_bytes(dir / "labels.csv", "TrueLabel\n4\n5\n");
  EXPECT_TRUE(contains(error_of<core::FileError>([&] { scan_image_folder(dir.str()); }),
                       dir / "labels.csv: has 2 rows but " + (dir / "images") + " holds 3 images"));
}

TEST(ImageFolder, LabelsCsvWithoutTrueLabel) {
  TempDir dir;
  write_task_images(dir);
  write_bytes(dir / "labels.csv", "ImgId,Label\n0,1\n");
  EXPECT_TRUE(
      contains(error_of<core::FileError>([&] { scan_image_folder(dir.str()); }),
               dir / "labels.csv: no column 'TrueLabel' in the header (columns: ImgId, Label)"));
}

TEST(ImageFolder, LabelOutOfRange) {
  TempDir dir;
  write_task_images(dir);
  write_bytes(dir / "labels.csv", "ImgId,TrueLabel\n0,9\n1,10\n2,0\n");
  EXPECT_TRUE(contains(
      error_of<core::FileError>([&] { scan_image_folder(dir.str(), {/*num_classes=*/10}); }),
      dir / "labels.csv: line 3: TrueLabel 10 is outside [0, 10)"));
  write_bytes(dir / "labels.csv", "ImgId,TrueLabel,TargetClass\n0,9,-1\n");
  EXPECT_TRUE(contains(error_of<core::FileError>([&] { scan_image_folder(dir.str()); }),
                       dir / "labels.csv: line 2: TargetClass -1 is negative"));
}

TEST(ImageFolder, NonIntegerLabel) {
  TempDir dir;
  write_task_images(dir);
  write_bytes(dir / "labels.csv", "ImgId,TrueLabel\n0,1\n\n1,cat\n");
  EXPECT_TRUE(contains(error_of<core::FileError>([&] { scan_image_folder(dir.str()); }),
                       dir / "labels.csv: line 4: TrueLabel 'cat' is not an integer"));
  write_bytes(dir / "labels.csv", "ImgId,TrueLabel\n0,1.5\n");
  EXPECT_TRUE(contains(error_of<core::FileError>([&] { scan_image_folder(dir.str()); }),
                       "line 2: TrueLabel '1.5' is not an integer"));
}

TEST(ImageFolder, MissingImage) {
  TempDir dir;
  write_task_images(dir);
  write_bytes(dir / "labels.csv", "ImgId,TrueLabel\n0,1\n1,1\n17,2\n");
  EXPECT_TRUE(contains(error_of<core::FileError>([&] { scan_image_folder(dir.str()); }),
                       dir / "images/17.png: listed in labels.csv line 4 but missing"));
  write_bytes(dir / "labels.csv", "ImgId,TrueLabel\nphoto.jpg,1\n");
  EXPECT_TRUE(contains(error_of<core::FileError>([&] { scan_image_folder(dir.str()); }),
                       dir / "images/photo.jpg: listed in labels.csv line 2 but missing"));
}

TEST(ImageFolder, ImagesWithoutLabelsCsv) {
  TempDir dir;
  write_task_images(dir);
  EXPECT_TRUE(contains(error_of<core::FileError>([&] { scan_image_folder(dir.str()); }),
                       dir / "labels.csv: missing"));
  EXPECT_TRUE(contains(error_of<core::FileError>([&] { scan_image_folder(dir / "nowhere"); }),
                       dir / "nowhere: no such directory"));
}

TEST(ImageFolder, ClassPerFolder) {
  TempDir dir;
  // Classes sorted by name: ant 0, cat 1, dog 2 (dog empty, still a class).
  for (const std::string name : {"cat/b.png", "cat/a.jpg", "ant/z.bmp", "ant/y.PNG"}) {
    std::filesystem::create_directories(std::filesystem::path(dir / name).parent_path());
    save_image(dir / name, grey(0.5f));
  }
  std::filesystem::create_directories(dir / "dog");
  std::filesystem::create_directories(dir / ".hidden");
  write_bytes(dir / "cat/notes.txt", "not an image");
  write_bytes(dir / "readme.md", "not a class");

  const ImageFolder folder = scan_image_folder(dir.str());
  EXPECT_EQ(folder.class_names, (std::vector<std::string>{"ant", "cat", "dog"}));
  ASSERT_EQ(folder.records.size(), 4u);
  EXPECT_EQ(folder.records[0].file, "ant/y.PNG");
  EXPECT_EQ(folder.records[1].file, "ant/z.bmp");
  EXPECT_EQ(folder.records[2].file, "cat/a.jpg");
  EXPECT_EQ(folder.records[2].path, dir / "cat/a.jpg");
  EXPECT_EQ(folder.records[2].label_name, "cat");
  const Dataset data = load_image_folder(folder, kAsStored);
  EXPECT_TRUE(torch::equal(data.labels, torch::tensor({0, 0, 1, 1}, torch::kLong)));
  EXPECT_EQ(data.num_classes(), 3);

  EXPECT_TRUE(contains(
      error_of<core::FileError>([&] { scan_image_folder(dir.str(), {/*num_classes=*/2}); }),
      dir.str() + ": has 3 class folders"));
  TempDir empty_dir_holder;
  EXPECT_TRUE(
      contains(error_of<core::FileError>([&] { scan_image_folder(empty_dir_holder.str()); }),
               empty_dir_holder.str() + ": no labels.csv and no class subfolders holding images"));
}

TEST(ImageFolder, OneWarningPerFolderAndACount) {
  TempDir dir;
  std::filesystem::create_directories(dir / "images");
  std::string labels = "ImgId,TrueLabel\n";
  for (int i = 0; i < 60; ++i) {
    save_image(dir / ("images/" + std::to_string(i) + ".png"), grey(0.5f, 10));
    labels += std::to_string(i) + ",0\n";
  }
  write_bytes(dir / "labels.csv", labels);
  ImageLoadOptions small;
  small.height = 8;
  small.width = 8;
  ::testing::internal::CaptureStderr();
  const Dataset data = load_image_folder(scan_image_folder(dir.str()), small);
  const std::string err = ::testing::internal::GetCapturedStderr();
  EXPECT_EQ(data.images.sizes(), (std::vector<std::int64_t>{60, 3, 8, 8}));
  EXPECT_TRUE(contains(err, "nnlab: warning: " + (dir / "images/0.png") +
                                ": 10x10 resized to 9 short side and centre-cropped to 8x8\n"));
  EXPECT_TRUE(contains(err, "nnlab: warning: " + dir.str() +
                                ": 59 more images resized and centre-cropped the same way\n"));
  EXPECT_EQ(err.find("images/1.png"), std::string::npos) << err;
}

TEST(ImageFolder, DifferentSizesNeedATargetSize) {
  TempDir dir;
  std::filesystem::create_directories(dir / "a");
  save_image(dir / "a/1.png", grey(0.1f, 8));
  save_image(dir / "a/2.png", grey(0.1f, 6));
  EXPECT_TRUE(
      contains(error_of<core::FileError>(
                   [&] { load_image_folder(scan_image_folder(dir.str()), kAsStored); }),
               dir / "a/2.png: is 6x6 (height x width) but " + (dir / "a/1.png") + " is 8x8"));
}

TEST(ImageFolder, OutputFileNameIsThePngOfTheImagesPath) {
  ImageRecord record;
  record.file = "cats/001.jpg";
  EXPECT_EQ(output_file_name(record), "cats/001.png");
  record.file = "002.png";
  EXPECT_EQ(output_file_name(record), "002.png");
}

TEST(ImageFolder, AtSizeReadsImagesLabelsAndOutputNames) {
  TempDir dir;
  std::filesystem::create_directories(dir / "images");
  save_image(dir / "images/a.jpg", grey(0.2f));
  save_image(dir / "images/b.png", grey(0.6f));
  write_bytes(dir / "labels.csv", "ImgId,TrueLabel\na.jpg,2\nb.png,0\n");
  const auto set = load_image_folder_of_size(scan_image_folder(dir.str()), 3, 8, 8);
  EXPECT_EQ(set.images.sizes(), torch::IntArrayRef({2, 3, 8, 8}));
  EXPECT_EQ(set.files, (std::vector<std::string>{"a.png", "b.png"}));
  EXPECT_EQ(set.labels[0].item<std::int64_t>(), 2);
  EXPECT_EQ(set.labels[1].item<std::int64_t>(), 0);
  EXPECT_NEAR(set.images[1].mean().item<double>(), 0.6, 1.0 / 255);
  EXPECT_EQ(set.source, dir.str());
  // One channel: colour becomes grey; another size is refused, never resized.
  EXPECT_EQ(load_image_folder_of_size(scan_image_folder(dir.str()), 1, 8, 8).images.size(1), 1);
  EXPECT_TRUE(contains(error_of<core::FileError>([&] {
                         load_image_folder_of_size(scan_image_folder(dir.str()), 3, 6, 6);
                       }),
                       "a.jpg"));
}

TEST(ImageFolder, AnEmptyFolderHoldsNoImages) {
  TempDir dir;
  std::filesystem::create_directories(dir / "images");
  write_bytes(dir / "labels.csv", "ImgId,TrueLabel\n");
  EXPECT_EQ(error_of<core::FileError>([&] { scan_nonempty_image_folder(dir.str()); }),
            dir.str() + ": holds no images");
  EXPECT_EQ(error_of<core::FileError>(
                [&] { load_image_folder_of_size(scan_image_folder(dir.str()), 3, 8, 8); }),
            dir.str() + ": holds no images");
}

TEST(ImageFolder, ReadCategoriesWithGapsAndDuplicates) {
  TempDir dir;
  write_bytes(dir / "c.csv", "CategoryName,CategoryId\nzero,0\ntwo,2\n");
  EXPECT_EQ(read_categories(dir / "c.csv"), (std::vector<std::string>{"zero", "1", "two"}));
  write_bytes(dir / "c.csv", "CategoryId,CategoryName\n0,a\n0,b\n");
  EXPECT_TRUE(contains(error_of<core::FileError>([&] { read_categories(dir / "c.csv"); }),
                       dir / "c.csv: line 3: CategoryId 0 appears twice"));
}

}  // namespace
}  // namespace nnlab::data
