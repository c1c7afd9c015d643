// jemalloc's settings for the nnlab binary, compiled in only where CMake found and linked jemalloc
// (NNLAB_JEMALLOC). jemalloc reads the global `malloc_conf` string of the executable at its first
// allocation, before main and before the MALLOC_CONF environment variable, which still overrides
// it key by key. Debian's jemalloc is built without a symbol prefix (its jemalloc.h maps
// je_malloc_conf to malloc_conf); a prefixed build would not replace malloc at all.
//
// Why these settings (measured: docs/BENCHMARKS.md "Memory and the allocator",
// bench/run_memory.sh, FGSM on VGG-16 at 224x224, 40 images): the attack frees and re-allocates
// ~100 MB activation buffers on every batch. Every positive decay tried returned them to the
// kernel and page-faulted them in again: jemalloc's default (10 s), 60 s, 60 s with
// oversize_threshold:0 (no eagerly purged "huge" arena) and background_thread:true all took
// 7.1 M minor faults and 14-15 s of system time, more than glibc's malloc (5.0 M, 10 s). With the
// decay off (-1) the freed pages are reused as they are: 1.1 M faults, 3.5 s of system time.
// What is kept is what the largest batch needed; nnlab attack hands the model file's parse
// buffers back once after loading (core::release_free_memory) and reports its peak.
// Reference: jemalloc(3), opt.dirty_decay_ms, opt.muzzy_decay_ms, opt.oversize_threshold.
extern "C" {
// NOLINTNEXTLINE: the name and type are jemalloc's interface.
const char* malloc_conf = "dirty_decay_ms:-1,muzzy_decay_ms:-1";
}
