// libFuzzer target for the .nnz reader: any byte string must either decode or be refused with
// core::FileError -- no crash, no out-of-bounds read (ASan), no undefined behaviour (UBSan), no
// other exception. What decodes must also survive the writer: written again (in the version it
// was read from) and read back, it gives the same tensors. Built and run by fuzz/run_nnz_fuzz.sh,
// from the seeds of fuzz/make_seed.cpp (a new tensor kind, such as int8, adds its seed there).
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <vector>

#include "nnlab/compress/nnz_format.h"
#include "nnlab/core/error.h"

namespace {

// Equal, or both NaN (float16 may change a NaN's payload on the way).
bool same_floats(const std::vector<float>& a, const std::vector<float>& b) {
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (!(a[i] == b[i] || (std::isnan(a[i]) && std::isnan(b[i])))) return false;
  }
  return true;
}

bool same_tensors(const nnlab::compress::NnzModel& a, const nnlab::compress::NnzModel& b) {
  if (a.tensors.size() != b.tensors.size()) return false;
  for (std::size_t i = 0; i < a.tensors.size(); ++i) {
    const auto& x = a.tensors[i];
    const auto& y = b.tensors[i];
    if (x.name != y.name || x.shape != y.shape || x.kind != y.kind || x.indices != y.indices ||
        x.gap_bits != y.gap_bits || x.gaps != y.gaps || x.raw.size() != y.raw.size() ||
        x.codebook.size() != y.codebook.size()) {
      return false;
    }
    if (!same_floats(x.raw, y.raw) || !same_floats(x.codebook, y.codebook)) return false;
  }
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  nnlab::compress::NnzModel model;
  try {
    model = nnlab::compress::decode_nnz(data, size, "fuzz.nnz");
    for (const auto& tensor : model.tensors) (void)nnlab::compress::nnz_dense(tensor);
  } catch (const nnlab::core::FileError&) {
    return 0;
  }
  std::uint32_t version = 0;
  std::memcpy(&version, data + sizeof(nnlab::compress::kNnzMagic), sizeof(version));
  const auto bytes = nnlab::compress::encode_nnz(model, version);
  const auto again = nnlab::compress::decode_nnz(
      reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size(), "again.nnz");
  if (!same_tensors(model, again)) {
    std::cerr << "nnz_fuzz: a decoded file written again reads back differently\n";
    std::abort();
  }
  return 0;
}
