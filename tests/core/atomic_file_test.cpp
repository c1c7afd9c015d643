#include "nnlab/core/atomic_file.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "nnlab/core/error.h"

namespace nnlab::core {
namespace fs = std::filesystem;

TEST(AtomicFile, WritesThenRenames) {
  const auto dir = fs::temp_directory_path() / "nnlab_atomic_test";
  fs::create_directories(dir);
  const auto path = (dir / "out.txt").string();
  write_text_atomically(path, "hello");
  EXPECT_EQ(read_file(path), "hello");
  write_text_atomically(path, "again");
  EXPECT_EQ(read_file(path), "again");
  fs::remove_all(dir);
}

TEST(AtomicFile, FailedWriteLeavesNoFile) {
  const auto dir = fs::temp_directory_path() / "nnlab_atomic_fail";
  fs::create_directories(dir);
  const auto path = (dir / "out.bin").string();
  EXPECT_THROW(write_atomically(path,
                                [](const std::string& tmp) {
                                  write_text_atomically(tmp, "half");
                                  throw std::runtime_error("boom");
                                }),
               std::runtime_error);
  EXPECT_FALSE(fs::exists(path));
  EXPECT_TRUE(fs::is_empty(dir)) << "temporary file left behind";
  fs::remove_all(dir);
}

TEST(AtomicFile, MissingDirectoryNamesThePath) {
  try {
    write_text_atomically("/nonexistent_dir_nnlab/x.txt", "x");
    FAIL();
  } catch (const FileError& e) {
    EXPECT_NE(std::string(e.what()).find("/nonexistent_dir_nnlab"), std::string::npos);
  }
  EXPECT_THROW(read_file("/nonexistent_dir_nnlab/x.txt"), FileError);
}

}  // namespace nnlab::core
