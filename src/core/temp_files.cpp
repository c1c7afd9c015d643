#include "nnlab/core/temp_files.h"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <filesystem>

namespace nnlab::core {

namespace fs = std::filesystem;

namespace {

constexpr const char* kPrefix = ".nnlab-tmp.";
constexpr int kSlots = 64;
constexpr std::size_t kPathMax = 4096;

// Written by the owning thread only while the slot is claimed and not yet published; read by the
// signal handler only when published. Everything the handler touches is static storage.
struct Slot {
  std::atomic<int> state{0};  // 0 free, 1 being filled, 2 published
  bool is_directory = false;
  char path[kPathMax] = {};
};
std::array<Slot, kSlots> slots;

// Async-signal-safe removal of a folder tree: opendir allocates, so the entries are read with
// the getdents64 system call into a stack buffer. Each record is struct linux_dirent64: inode (8
// bytes), offset (8), record length (2), type (1), then the NUL-terminated name.
constexpr std::size_t kRecordLengthOffset = 16;
constexpr std::size_t kNameOffset = 19;

void remove_tree_at(int parent, const char* name, int depth) {
  if (depth > 8) return;
  if (::unlinkat(parent, name, 0) == 0) return;
  if (errno != EISDIR && errno != EPERM) return;
  const int dir = ::openat(parent, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (dir < 0) return;
  char buffer[4096];
  // Entries removed while the folder is read may make the reading skip others: read it again
  // from the start until a pass finds nothing left.
  for (int pass = 0; pass < 16; ++pass) {
    ::lseek(dir, 0, SEEK_SET);
    bool found = false;
    for (;;) {
      const long n = ::syscall(SYS_getdents64, dir, buffer, sizeof buffer);
      if (n <= 0) break;
      for (long at = 0; at < n;) {
        unsigned short length = 0;
        std::memcpy(&length, buffer + at + kRecordLengthOffset, sizeof length);
        const char* entry = buffer + at + kNameOffset;
        at += length;
        if (std::strcmp(entry, ".") == 0 || std::strcmp(entry, "..") == 0) continue;
        found = true;
        remove_tree_at(dir, entry, depth + 1);
      }
    }
    if (!found) break;
  }
  ::close(dir);
  ::unlinkat(parent, name, AT_REMOVEDIR);
}

void write_all(int fd, const char* text) {
  std::size_t left = std::strlen(text);
  while (left > 0) {
    const ssize_t n = ::write(fd, text, left);
    if (n <= 0) return;
    text += n;
    left -= static_cast<std::size_t>(n);
  }
}

void on_terminating_signal(int signal) {
  for (auto& slot : slots) {
    if (slot.state.load() != 2) continue;
    if (slot.is_directory) {
      remove_tree_at(AT_FDCWD, slot.path, 0);
    } else {
      ::unlink(slot.path);
    }
  }
  // One line, like every other error; then the default action, so the parent sees the signal.
  const char* name = signal == SIGTERM ? "SIGTERM" : signal == SIGINT ? "SIGINT" : "SIGHUP";
  write_all(STDERR_FILENO, "nnlab: error: stopped by ");
  write_all(STDERR_FILENO, name);
  write_all(STDERR_FILENO, "; unfinished outputs removed\n");
  ::signal(signal, SIG_DFL);
  ::raise(signal);
}

bool process_alive(long pid) {
  if (pid <= 0) return false;
  return ::kill(static_cast<pid_t>(pid), 0) == 0 || errno == EPERM;
}

}  // namespace

std::string temporary_name(const std::string& target) {
  const fs::path path(target);
  return (path.parent_path() /
          (kPrefix + std::to_string(::getpid()) + "." + path.filename().string()))
      .string();
}

TemporaryRegistration::TemporaryRegistration(const std::string& path, bool is_directory) {
  const std::string absolute = fs::absolute(path).string();
  if (absolute.size() >= kPathMax) return;
  for (int i = 0; i < kSlots; ++i) {
    int expected = 0;
    if (!slots[i].state.compare_exchange_strong(expected, 1)) continue;
    slots[i].is_directory = is_directory;
    std::memcpy(slots[i].path, absolute.c_str(), absolute.size() + 1);
    slots[i].state.store(2);
    slot_ = i;
    return;
  }
}

TemporaryRegistration::~TemporaryRegistration() {
  if (slot_ >= 0) slots[slot_].state.store(0);
}

void remove_temporaries_on_signals() {
  struct sigaction action {};
  action.sa_handler = on_terminating_signal;
  sigemptyset(&action.sa_mask);
  for (const int signal : {SIGTERM, SIGINT, SIGHUP}) ::sigaction(signal, &action, nullptr);
}

void remove_stale_temporaries(const std::string& target) {
  const fs::path path(target);
  const fs::path dir = path.has_parent_path() ? path.parent_path() : fs::path(".");
  const std::string suffix = "." + path.filename().string();
  std::error_code error;
  for (fs::directory_iterator it(dir, error), end; !error && it != end; it.increment(error)) {
    const std::string name = it->path().filename().string();
    if (name.rfind(kPrefix, 0) != 0 || name.size() <= suffix.size() ||
        name.compare(name.size() - suffix.size(), suffix.size(), suffix) != 0) {
      continue;
    }
    const std::string pid =
        name.substr(std::strlen(kPrefix), name.size() - suffix.size() - std::strlen(kPrefix));
    if (pid.empty() || pid.find_first_not_of("0123456789") != std::string::npos) continue;
    if (process_alive(std::stol(pid))) continue;  // another run writing the same target now
    std::error_code ignored;
    fs::remove_all(it->path(), ignored);
  }
}

}  // namespace nnlab::core
