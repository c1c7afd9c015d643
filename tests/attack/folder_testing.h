// Shared by the tests of the attack pipelines that read and write folders (attack_sweep,
// folder_attack, transfer_matrix): a per-test scratch folder and a task-layout folder of the
// synthetic images of attack_testing.h.
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "attack/attack_testing.h"
#include "nnlab/data/image_io.h"

namespace nnlab::attack::testing {

// A fresh folder named after the running test and the process, removed at the end of the test.
class ScratchDir {
 public:
  ScratchDir() {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    path_ = (std::filesystem::temp_directory_path() /
             ("nnlab_attack_" + std::string(info->test_suite_name()) + "_" + info->name() + "_" +
              std::to_string(::getpid())))
                .string();
    std::filesystem::remove_all(path_);
    std::filesystem::create_directories(path_);
  }
  ~ScratchDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;
  std::string operator/(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

// "000.png", "001.png", ...
inline std::vector<std::string> file_names(std::int64_t n) {
  std::vector<std::string> names;
  for (std::int64_t i = 0; i < n; ++i) {
    char name[32];
    std::snprintf(name, sizeof(name), "%03lld.png", static_cast<long long>(i));
    names.push_back(name);
  }
  return names;
}

// DIR/images/NNN.png and DIR/labels.csv (ImgId,TrueLabel[,TargetClass: the next class]).
inline void write_task_folder(const std::string& dir, const Batch& batch, bool targets = true) {
  std::filesystem::create_directories(dir + "/images");
  const auto names = file_names(batch.images.size(0));
  std::ofstream labels(dir + "/labels.csv");
  labels << (targets ? "ImgId,TrueLabel,TargetClass\n" : "ImgId,TrueLabel\n");
  for (size_t i = 0; i < names.size(); ++i) {
    const auto index = static_cast<std::int64_t>(i);
    data::save_image(dir + "/images/" + names[i], batch.images[index]);
    const auto label = batch.labels[index].item<std::int64_t>();
    labels << names[i].substr(0, 3) << "," << label;
    if (targets) labels << "," << (label + 1) % kClasses;
    labels << "\n";
  }
}

// The accuracy of the trained model on images read back from files.
inline double accuracy_of_files(const std::vector<std::string>& paths,
                                const torch::Tensor& labels) {
  const auto images = data::load_images_of_size(paths, 1, 28, 28);
  return predicted(images).eq(labels).to(torch::kFloat64).mean().item<double>();
}

}  // namespace nnlab::attack::testing
