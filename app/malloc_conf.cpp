// jemalloc's settings for the nnlab binary, compiled in only where CMake found and linked jemalloc
// (NNLAB_JEMALLOC). jemalloc reads the global `malloc_conf` string of the executable at its first
// allocation, before main and before the MALLOC_CONF environment variable, which still overrides
// it key by key. Debian's jemalloc is built without a symbol prefix (its jemalloc.h maps
// je_malloc_conf to malloc_conf); a prefixed build would not replace malloc at all.
//
// Why these settings (measured: docs/BENCHMARKS.md "Memory and the allocator",
// bench/run_memory.sh): an attack on 224x224 images frees and re-allocates the same few hundred MB
// of activations on every batch. jemalloc's default returns freed ("dirty") pages to the kernel
// within 10 s, so they are page-faulted in again; with the decay off the freed pages are reused as
// they are, and the process's system time falls by ~4x with ~6x fewer minor page faults. The memory
// that is kept is what the largest batch needed, which nnlab reports as its peak anyway. Reference:
// jemalloc(3), "TUNING" and opt.dirty_decay_ms / opt.muzzy_decay_ms.
extern "C" {
// NOLINTNEXTLINE: the name and type are jemalloc's interface.
const char* malloc_conf = "dirty_decay_ms:-1,muzzy_decay_ms:-1";
}
