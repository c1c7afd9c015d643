// Temporary outputs that must never outlive their process under a final name (docs/FORMAT.md,
// "How files are written"). Named temporaries are ".nnlab-tmp.<pid>.<target file name>" beside
// their target. While one exists it is registered here; on SIGTERM, SIGINT or SIGHUP the handler
// that remove_temporaries_on_signals() installs deletes every registered one (files, and staged
// output folders with their contents), prints one line and re-raises the signal. SIGKILL cannot
// be handled: what it leaves keeps the temporary name, and remove_stale_temporaries() deletes it
// the next time the same target is written.
#pragma once

#include <string>

namespace nnlab::core {

// ".nnlab-tmp.<pid>.<name>" in the target's folder.
std::string temporary_name(const std::string& target);

// Registers path (a file, or a folder deleted with its contents) for deletion on a terminating
// signal, for the lifetime of this object. At most 64 at a time; more are not registered.
class TemporaryRegistration {
 public:
  TemporaryRegistration(const std::string& path, bool is_directory);
  ~TemporaryRegistration();
  TemporaryRegistration(const TemporaryRegistration&) = delete;
  TemporaryRegistration& operator=(const TemporaryRegistration&) = delete;

 private:
  int slot_ = -1;
};

// Installs the handler for SIGTERM, SIGINT and SIGHUP (the CLI does, at start-up).
void remove_temporaries_on_signals();

// Deletes the temporaries of target left by processes that no longer run (after SIGKILL or a
// power cut): ".nnlab-tmp.<pid>.<name>" beside it whose pid is not alive.
void remove_stale_temporaries(const std::string& target);

}  // namespace nnlab::core
