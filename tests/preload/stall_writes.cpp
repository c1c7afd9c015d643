// Loaded with LD_PRELOAD by the write-fault tests (tests/cli/write_faults_test.cpp), so that a
// signal can be sent in the middle of writing an output of any size, however quickly nnlab would
// write it. A write() to a file in the folder NNLAB_TEST_STALL_DIR (a canonical path) writes half
// of its bytes, creates the file NNLAB_TEST_STALL_MARKER to say so, and then waits for a signal,
// forever. Every other write() goes straight to libc's.
#include <dlfcn.h>
#include <fcntl.h>
#include <limits.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace {

using WriteFunction = ssize_t (*)(int, const void*, size_t);

// True when fd is open on a file directly or deeper inside dir.
bool is_inside(int fd, const char* dir) {
  char link[64];
  std::snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
  char target[PATH_MAX];
  const ssize_t n = ::readlink(link, target, sizeof target - 1);
  if (n <= 0) return false;
  target[n] = '\0';
  const std::size_t length = std::strlen(dir);
  return std::strncmp(target, dir, length) == 0 && target[length] == '/';
}

}  // namespace

extern "C" ssize_t write(int fd, const void* buffer, size_t count) {
  static const auto real = reinterpret_cast<WriteFunction>(::dlsym(RTLD_NEXT, "write"));
  static const char* const dir = std::getenv("NNLAB_TEST_STALL_DIR");
  if (dir == nullptr || count < 2 || !is_inside(fd, dir)) return real(fd, buffer, count);
  real(fd, buffer, count / 2);
  if (const char* marker = std::getenv("NNLAB_TEST_STALL_MARKER"); marker != nullptr) {
    const int file = ::open(marker, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (file >= 0) ::close(file);
  }
  for (;;) ::pause();
}
