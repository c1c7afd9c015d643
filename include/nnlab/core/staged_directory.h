// An output folder of many files (nnlab attack's PNGs, metrics.json, per_image.csv) built under a
// temporary sibling name and put in place by one rename, so the folder at the final name is
// either the previous one, whole, or the new one, whole (docs/FORMAT.md, "How files are written").
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "nnlab/core/temp_files.h"

namespace nnlab::core {

class StagedDirectory {
 public:
  // Creates the staging folder ".nnlab-tmp.<pid>.<name>" beside target, after deleting stale ones
  // of dead processes. Throws FileError when target exists and is not a folder, or is a non-empty
  // folder that replace_if does not accept (a folder of someone else's files is never replaced).
  StagedDirectory(const std::string& target, const std::vector<std::string>& replace_if);
  // Not committed: the staging folder and all it holds are deleted.
  ~StagedDirectory();
  StagedDirectory(const StagedDirectory&) = delete;
  StagedDirectory& operator=(const StagedDirectory&) = delete;

  // Where to write the outputs.
  const std::string& path() const { return staging_; }
  // The name a path under path() will have once committed (for messages).
  std::string final_path(const std::string& staged_path) const;
  // Puts the staging folder at the target: a rename when there is no target yet, an atomic
  // exchange (renameat2 RENAME_EXCHANGE) with the previous folder otherwise, which is then deleted.
  void commit();

 private:
  std::string target_;
  std::string staging_;
  std::optional<TemporaryRegistration> registered_;
  bool committed_ = false;
};

}  // namespace nnlab::core
