#include "nnlab/core/atomic_file.h"

#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "nnlab/core/error.h"

namespace nnlab::core {

namespace fs = std::filesystem;

void write_atomically(const std::string& path,
                      const std::function<void(const std::string&)>& write) {
  const fs::path target(path);
  if (target.has_parent_path() && !fs::exists(target.parent_path())) {
    throw FileError(
        path, "cannot write: directory '" + target.parent_path().string() + "' does not exist");
  }
  // The temporary keeps the target's extension: some writers (OpenCV) pick the format by it.
  const std::string tmp = (target.parent_path() / (".tmp." + std::to_string(::getpid()) + "." +
                                                   target.filename().string()))
                              .string();
  try {
    write(tmp);
  } catch (...) {
    std::error_code ignored;
    fs::remove(tmp, ignored);
    throw;
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    const std::string why = std::strerror(errno);
    std::error_code ignored;
    fs::remove(tmp, ignored);
    throw FileError(path, "cannot write: " + why);
  }
}

void write_text_atomically(const std::string& path, const std::string& text) {
  write_atomically(path, [&](const std::string& tmp) {
    std::ofstream out(tmp, std::ios::binary);
    if (!out)
      throw FileError(path, "cannot open for writing: " + std::string(std::strerror(errno)));
    out.write(text.data(), static_cast<std::streamsize>(text.size()));
    out.close();
    if (!out) throw FileError(path, "write failed (disk full?)");
  });
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
