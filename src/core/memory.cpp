#include "nnlab/core/memory.h"

#include <cmath>
#include <cstddef>
#include <fstream>

#if defined(__unix__) || defined(__APPLE__)
#include <dlfcn.h>
#include <sys/resource.h>
#include <sys/types.h>
#include <unistd.h>
#define NNLAB_HAVE_POSIX 1
#endif
#if defined(__GLIBC__)
#include <malloc.h>
#endif

namespace nnlab::core {

namespace {

using Mallctl = int (*)(const char*, void*, std::size_t*, void*, std::size_t);

// jemalloc's mallctl when jemalloc is the malloc in use (linked or preloaded), else nullptr: a
// prefixed jemalloc inside some library does not replace malloc and is not asked.
Mallctl jemalloc_mallctl() {
#ifdef NNLAB_HAVE_POSIX
  void* const malloc_address = ::dlsym(RTLD_DEFAULT, "malloc");
  const auto mallctl = reinterpret_cast<Mallctl>(::dlsym(RTLD_DEFAULT, "mallctl"));
  Dl_info malloc_info{};
  Dl_info mallctl_info{};
  if (malloc_address == nullptr || mallctl == nullptr ||
      ::dladdr(malloc_address, &malloc_info) == 0 ||
      ::dladdr(reinterpret_cast<void*>(mallctl), &mallctl_info) == 0 ||
      mallctl_info.dli_fbase != malloc_info.dli_fbase) {
    return nullptr;
  }
  return mallctl;
#else
  return nullptr;
#endif
}

}  // namespace

std::int64_t peak_resident_bytes() {
#ifdef NNLAB_HAVE_POSIX
  rusage usage{};
  if (::getrusage(RUSAGE_SELF, &usage) != 0) return 0;
#ifdef __APPLE__
  return static_cast<std::int64_t>(usage.ru_maxrss);  // bytes on macOS
#else
  return static_cast<std::int64_t>(usage.ru_maxrss) * 1024;  // kilobytes on Linux and the BSDs
#endif
#else
  return 0;
#endif
}

std::int64_t current_resident_bytes() {
#ifdef NNLAB_HAVE_POSIX
  std::ifstream statm("/proc/self/statm");
  std::int64_t size = 0;
  std::int64_t resident = 0;
  if (!(statm >> size >> resident)) return 0;
  return resident * static_cast<std::int64_t>(::sysconf(_SC_PAGESIZE));
#else
  return 0;
#endif
}

double peak_memory_mb() {
  return std::round(static_cast<double>(peak_resident_bytes()) / (1 << 20) * 10) / 10;
}

std::string allocator_name() {
#ifdef NNLAB_HAVE_POSIX
  // Looked up rather than linked: the library builds with or without jemalloc, and a preloaded
  // jemalloc (LD_PRELOAD) is reported as well as the one the binary links.
  if (const auto mallctl = jemalloc_mallctl(); mallctl != nullptr) {
    const char* version = nullptr;
    std::size_t size = sizeof(version);
    std::string name = "jemalloc";
    if (mallctl("version", &version, &size, nullptr, 0) == 0 && version != nullptr) {
      const std::string full = version;  // "5.3.0-0-g54eaed1d..."
      name += " " + full.substr(0, full.find('-'));
    }
    std::string settings;
    for (const char* key : {"dirty_decay_ms", "muzzy_decay_ms"}) {
      ssize_t value = 0;
      size = sizeof(value);
      if (mallctl((std::string("opt.") + key).c_str(), &value, &size, nullptr, 0) == 0) {
        settings += std::string(settings.empty() ? "" : ",") + key + ":" + std::to_string(value);
      }
    }
    bool background = false;
    size = sizeof(background);
    if (mallctl("opt.background_thread", &background, &size, nullptr, 0) == 0) {
      settings += std::string(settings.empty() ? "" : ",") +
                  "background_thread:" + (background ? "true" : "false");
    }
    return settings.empty() ? name : name + " (" + settings + ")";
  }
  void* const malloc_address = ::dlsym(RTLD_DEFAULT, "malloc");
  Dl_info malloc_info{};
  if (malloc_address == nullptr || ::dladdr(malloc_address, &malloc_info) == 0) return "system";
  const std::string file = malloc_info.dli_fname != nullptr ? malloc_info.dli_fname : "";
  const std::string base = file.substr(file.find_last_of('/') + 1);
  // The C library's own malloc (glibc's libc.so.6, musl's libc.so, macOS's libsystem_malloc).
  if (base.empty() || base.rfind("libc.", 0) == 0 || base.rfind("libc-", 0) == 0 ||
      base.rfind("libsystem_malloc", 0) == 0) {
    return "system";
  }
  return base;
#else
  return "system";
#endif
}

bool release_free_memory() {
  if (const auto mallctl = jemalloc_mallctl(); mallctl != nullptr) {
    // MALLCTL_ARENAS_ALL (4096) in the name: every arena.
    return mallctl("arena.4096.purge", nullptr, nullptr, nullptr, 0) == 0;
  }
#if defined(__GLIBC__)
  ::malloc_trim(0);
  return true;
#else
  return false;
#endif
}

}  // namespace nnlab::core
