#include "nnlab/core/memory.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <memory>

namespace nnlab::core {

TEST(Memory, PeakResidentSetGrowsWithMemoryTouched) {
  const std::int64_t peak_before = peak_resident_bytes();
  const std::int64_t resident_before = current_resident_bytes();
#ifdef __linux__
  ASSERT_GT(peak_before, 0);
  ASSERT_GT(resident_before, 0);
#endif
  if (peak_before == 0 || resident_before == 0) GTEST_SKIP() << "the system reports no RSS";
  // The kernel folds each thread's page counts into the peak in steps (mm's split RSS counters,
  // 64 faults a thread), so the peak may trail the resident set now by a few pages.
  constexpr std::int64_t kMiB = 1 << 20;
  constexpr std::int64_t kSlack = 4 * kMiB;
  EXPECT_GE(peak_before, resident_before - kSlack);
  // Enough that the resident set must pass the earlier peak, touched page by page (an untouched
  // allocation is not resident).
  const std::int64_t size =
      std::max<std::int64_t>(64 * kMiB, peak_before - resident_before + 64 * kMiB);
  auto buffer = std::make_unique<char[]>(static_cast<std::size_t>(size));
  std::memset(buffer.get(), 1, static_cast<std::size_t>(size));
  const std::int64_t resident_after = current_resident_bytes();
  const std::int64_t peak_after = peak_resident_bytes();
  EXPECT_GE(resident_after, resident_before + size * 9 / 10);
  EXPECT_GE(peak_after, resident_after - kSlack);
  EXPECT_GT(peak_after, peak_before);
  EXPECT_NEAR(peak_memory_mb(), static_cast<double>(peak_resident_bytes()) / kMiB, 0.1);
  EXPECT_EQ(buffer[size - 1], 1);
}

TEST(Memory, NamesTheAllocatorInUse) {
  const std::string name = allocator_name();
  ASSERT_FALSE(name.empty());
  // The test binaries do not link jemalloc (only the nnlab binary does): the C library's malloc,
  // unless jemalloc was preloaded into this run.
  if (name.rfind("jemalloc", 0) == 0) {
    EXPECT_NE(name.find("dirty_decay_ms:"), std::string::npos) << name;
  } else {
    EXPECT_EQ(name, "system");
  }
}

}  // namespace nnlab::core
