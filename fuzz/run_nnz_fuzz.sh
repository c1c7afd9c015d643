#!/usr/bin/env bash
# Fuzzes the .nnz reader with libFuzzer under AddressSanitizer and UndefinedBehaviorSanitizer.
# The reader's sources (nnz_format, huffman, sparse_index, core/format_version) are compiled with
# clang and the sanitizers; the rest of nnlab and LibTorch come from the normal build
# (BUILD_DIR/libnnlab.a).
#
#   bash fuzz/run_nnz_fuzz.sh [BUILD_DIR] [RUNS] [SECONDS] [OUT_DIR]
#     defaults: build, 1000000 runs, no time limit, BUILD_DIR/fuzz-out; RUNS 0: no run limit.
#   bash fuzz/run_nnz_fuzz.sh build 0 60 build/fuzz-ci      the one-minute run `make test` does
#
# The seeds (fuzz/make_seed.cpp) are every tensor kind in every version the reader reads; the
# corpus libFuzzer grows is kept in OUT_DIR/corpus and reused by the next run. The CRC check is
# compiled out (NNLAB_FUZZING_WITHOUT_CRC), so that mutated inputs reach the section parsers
# instead of stopping at the checksum. Needs clang++ and libFuzzer (Debian: clang and
# libclang-rt-dev; scripts/setup.sh installs them): without them this fails, it does not skip.
# Exits non-zero on the first finding; the crashing input is left in OUT_DIR.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
build=$(cd "${1:-build}" && pwd)
runs=${2:-1000000}
seconds=${3:-0}
out=${4:-$build/fuzz-out}
mkdir -p "$out/corpus" "$out/obj"
out=$(cd "$out" && pwd)
rm -rf "$out/seeds" && mkdir -p "$out/seeds"
command -v clang++ >/dev/null || { echo "run_nnz_fuzz: clang++ not found (apt-get install clang libclang-rt-dev)" >&2; exit 1; }
[ -f "$build/libnnlab.a" ] || { echo "run_nnz_fuzz: $build/libnnlab.a not built" >&2; exit 1; }

torch_include="-isystem /usr/include/torch/csrc/api/include"
flags="-std=c++17 -O1 -g -I$root/include $torch_include -D_GLIBCXX_USE_CXX11_ABI=1"
libs="$build/libnnlab.a -ltorch -ltorch_cpu -lc10 -lz -lpthread"
sanitize="address,undefined -fno-sanitize-recover=undefined"
# ccache, where there is one, makes the minute-long fuzz of `make test` cheap to rebuild.
cache=$(command -v ccache || true)
objs=()
for src in compress/nnz_format compress/huffman compress/sparse_index core/format_version; do
  obj="$out/obj/$(basename "$src").o"
  $cache clang++ $flags -fsanitize=fuzzer-no-link,$sanitize -DNNLAB_FUZZING_WITHOUT_CRC -c \
    -o "$obj" "$root/src/$src.cpp"
  objs+=("$obj")
done
clang++ $flags -fsanitize=fuzzer,$sanitize -o "$out/nnz_fuzz" "$here/nnz_fuzz.cpp" "${objs[@]}" $libs
# The seed writer links the same (sanitized) reader, and checks that each seed decodes.
clang++ $flags -fsanitize=$sanitize -o "$out/make_seed" "$here/make_seed.cpp" "${objs[@]}" $libs
export ASAN_OPTIONS=detect_leaks=0
"$out/make_seed" "$out/seeds"
cd "$out"
[ "$runs" = 0 ] && runs=-1  # libFuzzer's "no limit"
limits=(-runs="$runs")
[ "$seconds" != 0 ] && limits+=(-max_total_time="$seconds")
# A file may claim up to 2^28 float32 elements for one tensor (1 GiB decoded): room for that.
./nnz_fuzz "${limits[@]}" -max_len=4096 -rss_limit_mb=6144 -print_final_stats=1 corpus seeds
