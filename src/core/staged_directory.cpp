#include "nnlab/core/staged_directory.h"

#include <fcntl.h>
#include <stdio.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "nnlab/core/error.h"

namespace nnlab::core {

namespace fs = std::filesystem;

StagedDirectory::StagedDirectory(const std::string& target,
                                 const std::vector<std::string>& replace_if)
    : target_(target), staging_(temporary_name(target)) {
  if (fs::exists(target_)) {
    if (!fs::is_directory(target_)) throw FileError(target_, "exists and is not a folder");
    bool replaceable = fs::is_empty(target_);
    for (const auto& name : replace_if) replaceable |= fs::exists(fs::path(target_) / name);
    if (!replaceable) {
      throw FileError(target_,
                      "exists and holds other files (it would be replaced); give a new "
                      "folder or an earlier output of this command");
    }
  }
  const fs::path parent =
      fs::path(target_).has_parent_path() ? fs::path(target_).parent_path() : fs::path(".");
  std::error_code error;
  fs::create_directories(parent, error);
  remove_stale_temporaries(target_);
  fs::remove_all(staging_, error);
  registered_.emplace(staging_, /*is_directory=*/true);
  if (!fs::create_directory(staging_, error) || error) {
    throw FileError(target_, "cannot create its staging folder " + staging_ +
                                 (error ? ": " + error.message() : std::string()));
  }
}

StagedDirectory::~StagedDirectory() {
  if (committed_) return;
  std::error_code ignored;
  fs::remove_all(staging_, ignored);
}

std::string StagedDirectory::final_path(const std::string& staged_path) const {
  if (staged_path.compare(0, staging_.size(), staging_) != 0) return staged_path;
  return target_ + staged_path.substr(staging_.size());
}

void StagedDirectory::commit() {
  if (!fs::exists(target_)) {
    if (::rename(staging_.c_str(), target_.c_str()) != 0) {
      throw FileError(target_,
                      "cannot put the new folder in place: " + std::string(std::strerror(errno)));
    }
  } else {
    // One atomic step: the new folder takes the target's name, the old one the staging name.
    if (::renameat2(AT_FDCWD, staging_.c_str(), AT_FDCWD, target_.c_str(), RENAME_EXCHANGE) != 0) {
      if (errno != EINVAL && errno != ENOSYS) {
        throw FileError(target_,
                        "cannot put the new folder in place: " + std::string(std::strerror(errno)));
      }
      // No exchange on this filesystem: move the old folder aside, then the new one in.
      const std::string old = staging_ + ".old";
      if (::rename(target_.c_str(), old.c_str()) != 0 ||
          ::rename(staging_.c_str(), target_.c_str()) != 0) {
        throw FileError(target_,
                        "cannot put the new folder in place: " + std::string(std::strerror(errno)));
      }
      std::error_code ignored;
      fs::remove_all(old, ignored);
    }
  }
  committed_ = true;
  // After an exchange the staging name holds the previous folder.
  std::error_code ignored;
  fs::remove_all(staging_, ignored);
  registered_.reset();
}

}  // namespace nnlab::core
