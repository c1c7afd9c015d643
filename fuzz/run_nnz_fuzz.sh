#!/usr/bin/env bash
# Fuzzes the .nnz reader with libFuzzer under AddressSanitizer and UndefinedBehaviorSanitizer.
# The reader's sources (nnz_format, huffman, sparse_index) are compiled with clang and the
# sanitizers; the rest of nnlab and LibTorch come from the normal build (BUILD_DIR/libnnlab.a).
#
#   bash fuzz/run_nnz_fuzz.sh [BUILD_DIR] [RUNS]     (defaults: build, 1000000)
#
# The CRC check is compiled out (NNLAB_FUZZING_WITHOUT_CRC), so that mutated inputs reach the
# section parsers instead of stopping at the checksum. Needs clang++ (Debian: clang, which ships libFuzzer). Exits non-zero on the first finding;
# the crashing input is left in fuzz-out/.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
build=$(cd "${1:-build}" && pwd)
runs=${2:-1000000}
out="$build/fuzz-out"
mkdir -p "$out/corpus"
torch_include="-isystem /usr/include/torch/csrc/api/include"
flags="-std=c++17 -O1 -g -I$root/include $torch_include -D_GLIBCXX_USE_CXX11_ABI=1"
libs="$build/libnnlab.a -ltorch -ltorch_cpu -lc10 -lz -lpthread"
sanitize="-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined"
clang++ $flags $sanitize -DNNLAB_FUZZING_WITHOUT_CRC -o "$out/nnz_fuzz" "$here/nnz_fuzz.cpp" \
  "$root/src/compress/nnz_format.cpp" "$root/src/compress/huffman.cpp" \
  "$root/src/compress/sparse_index.cpp" $libs
clang++ $flags -o "$out/make_seed" "$here/make_seed.cpp" $libs
"$out/make_seed" "$out/corpus/seed.nnz"
cd "$out"
# A file may claim up to 2^28 float32 elements for one tensor (1 GiB decoded): room for that.
ASAN_OPTIONS=detect_leaks=0 ./nnz_fuzz -runs="$runs" -max_len=4096 -rss_limit_mb=6144 corpus
