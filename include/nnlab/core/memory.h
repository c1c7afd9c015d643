// The process's memory as the operating system and the allocator see it: the peak resident set,
// which every command can report next to its timings (`peak_memory_mb` in nnlab attack's JSON),
// and the malloc the process runs with, which the provenance block names because it moves the
// 224x224 attacks' time by a third (docs/BENCHMARKS.md, "Memory and the allocator": fresh
// activation buffers page-faulted from the kernel on every batch with glibc's malloc).
// References: getrusage(2) (ru_maxrss), proc(5) (/proc/self/statm), jemalloc(3) (mallctl
// "version", "opt.*" and the malloc_conf string that app/malloc_conf.cpp defines).
#pragma once

#include <cstdint>
#include <string>

namespace nnlab::core {

// The largest resident set this process has had so far, in bytes (getrusage's ru_maxrss; it
// never decreases); 0 where the system does not say.
std::int64_t peak_resident_bytes();

// The resident set now, in bytes (/proc/self/statm); 0 where the system does not say.
std::int64_t current_resident_bytes();

// peak_resident_bytes() in MiB (2^20 bytes, as /usr/bin/time's %M / 1024), to 0.1.
double peak_memory_mb();

// The malloc in use, found at run time (linked into the binary or preloaded): "jemalloc 5.3.0
// (dirty_decay_ms:-1,muzzy_decay_ms:-1,background_thread:false)" with the settings it runs with,
// read back from jemalloc, "system" for the C library's, else the file name of the library that
// provides malloc.
std::string allocator_name();

// Hands the pages malloc keeps for reuse back to the operating system, now: jemalloc's
// "arena.<all>.purge" where jemalloc is the malloc in use (its decay is off in the nnlab binary,
// so nothing else returns them), glibc's malloc_trim(0) on glibc; a no-op elsewhere. For the end
// of a phase whose garbage the next phase cannot reuse, such as a model file's parse buffers
// before an attack's activations. Returns whether anything was asked of the allocator.
bool release_free_memory();

}  // namespace nnlab::core
