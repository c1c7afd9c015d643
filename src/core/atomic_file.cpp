// How a file is written (docs/FORMAT.md, "How files are written"): the bytes go to an unnamed
// file in the target's folder (O_TMPFILE), which is then linked under a temporary name and renamed
// over the target. A process killed while writing leaves nothing; one that fails (disk full, file
// too large, read-only folder) leaves the previous file as it was. Where the filesystem has no
// O_TMPFILE, a named temporary (core/temp_files.h) takes its place.
#include "nnlab/core/atomic_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "nnlab/core/error.h"
#include "nnlab/core/temp_files.h"

namespace nnlab::core {

namespace fs = std::filesystem;

namespace {

// Throws when the folder `path` will be written into does not exist, so that a missing folder is
// reported with the target's name before any temporary is made.
void check_folder_exists(const std::string& path) {
  const fs::path target(path);
  if (target.has_parent_path() && !fs::exists(target.parent_path())) {
    throw FileError(
        path, "cannot write: directory '" + target.parent_path().string() + "' does not exist");
  }
}

// The folder `path` will be written into, checked to exist.
fs::path existing_folder_of(const std::string& path) {
  check_folder_exists(path);
  const fs::path target(path);
  return target.has_parent_path() ? target.parent_path() : fs::path(".");
}

[[noreturn]] void fail(const std::string& path, int error) {
  throw FileError(path, "cannot write: " + std::string(std::strerror(error)));
}

// Writes all of bytes; returns 0 or the errno of the failure (ENOSPC, EFBIG, EIO, ...).
int write_all(int fd, const std::string& bytes) {
  const char* at = bytes.data();
  std::size_t left = bytes.size();
  while (left > 0) {
    const ssize_t n = ::write(fd, at, left);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return n < 0 ? errno : EIO;
    at += n;
    left -= static_cast<std::size_t>(n);
  }
  return 0;
}

void rename_or_fail(const std::string& from, const std::string& to) {
  if (std::rename(from.c_str(), to.c_str()) != 0) {
    const int error = errno;
    ::unlink(from.c_str());
    fail(to, error);
  }
}

// The bytes through an unnamed O_TMPFILE file; false when the filesystem has no O_TMPFILE.
bool write_through_unnamed_file(const std::string& path, const fs::path& folder,
                                const std::string& bytes) {
  const int fd = ::open(folder.c_str(), O_TMPFILE | O_WRONLY | O_CLOEXEC, 0666);
  if (fd < 0) {
    if (errno == EOPNOTSUPP || errno == EISDIR || errno == EINVAL) return false;
    fail(path, errno);
  }
  int error = write_all(fd, bytes);
  if (error != 0) {
    ::close(fd);
    fail(path, error);
  }
  // Linked under a name, then renamed: linkat cannot replace an existing target. The name has no
  // pid, so one left by a kill between the two calls is replaced by the next write.
  const std::string linked =
      (folder / (".nnlab-tmp." + fs::path(path).filename().string())).string();
  const std::string proc = "/proc/self/fd/" + std::to_string(fd);
  const TemporaryRegistration registered(linked, /*is_directory=*/false);  // for SIGTERM
  for (int attempt = 0; attempt < 2; ++attempt) {
    if (::linkat(AT_FDCWD, proc.c_str(), AT_FDCWD, linked.c_str(), AT_SYMLINK_FOLLOW) == 0 ||
        ::linkat(fd, "", AT_FDCWD, linked.c_str(), AT_EMPTY_PATH) == 0) {
      error = 0;
      break;
    }
    error = errno;
    if (error != EEXIST) break;
    ::unlink(linked.c_str());
  }
  if (::close(fd) != 0 && error == 0) error = errno;
  if (error != 0) {
    ::unlink(linked.c_str());
    fail(path, error);
  }
  rename_or_fail(linked, path);
  return true;
}

}  // namespace

void write_atomically(const std::string& path,
                      const std::function<void(const std::string&)>& write) {
  check_folder_exists(path);
  remove_stale_temporaries(path);
  // The temporary keeps the target's extension: some writers pick the format by it.
  const std::string tmp = temporary_name(path);
  const TemporaryRegistration registered(tmp, /*is_directory=*/false);
  try {
    write(tmp);
  } catch (...) {
    std::error_code ignored;
    fs::remove(tmp, ignored);
    throw;
  }
  rename_or_fail(tmp, path);
}

void write_text_atomically(const std::string& path, const std::string& text) {
  const fs::path folder = existing_folder_of(path);
  if (write_through_unnamed_file(path, folder, text)) return;
  const std::string tmp = temporary_name(path);
  const TemporaryRegistration registered(tmp, /*is_directory=*/false);
  const int fd = ::open(tmp.c_str(), O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0666);
  if (fd < 0) fail(path, errno);
  int error = write_all(fd, text);
  if (::close(fd) != 0 && error == 0) error = errno;
  if (error != 0) {
    ::unlink(tmp.c_str());
    fail(path, error);
  }
  rename_or_fail(tmp, path);
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    throw FileError(path, fs::exists(path) ? "cannot open for reading" : "no such file");
  }
  std::ostringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

void make_directories(const std::string& path) {
  std::error_code error;
  fs::create_directories(path, error);
  if (error || !fs::is_directory(path)) {
    throw FileError(path,
                    "cannot create directory" + (error ? ": " + error.message() : std::string()));
  }
}

}  // namespace nnlab::core
