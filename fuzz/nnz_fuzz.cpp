// libFuzzer target for the .nnz reader: any byte string must either decode or be refused with
// core::FileError -- no crash, no out-of-bounds read (ASan), no undefined behaviour (UBSan), no
// other exception. Built and run by fuzz/run_nnz_fuzz.sh.
#include <cstddef>
#include <cstdint>

#include "nnlab/compress/nnz_format.h"
#include "nnlab/core/error.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  try {
    const auto model = nnlab::compress::decode_nnz(data, size, "fuzz.nnz");
    for (const auto& tensor : model.tensors) (void)nnlab::compress::nnz_dense(tensor);
  } catch (const nnlab::core::FileError&) {
  }
  return 0;
}
