#include "nnlab/core/memory.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <memory>
#include <vector>

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

TEST(Memory, ReleasesFreedPagesToTheSystem) {
#ifndef __linux__
  GTEST_SKIP() << "resident-set check written for Linux";
#endif
  // 64 MiB in blocks small enough to come from malloc's heap (not a mapping of their own that
  // free unmaps), touched, then freed but for the last block, which keeps the heap's top in
  // place: glibc keeps the freed pages resident, and jemalloc with its decay off too, until the
  // allocator is asked to give them back.
  constexpr std::size_t kBlock = 32 << 10;
  constexpr std::size_t kBlocks = 2048;
  std::vector<std::unique_ptr<char[]>> blocks;
  for (std::size_t i = 0; i < kBlocks; ++i) {
    blocks.push_back(std::make_unique<char[]>(kBlock));
    std::memset(blocks.back().get(), 1, kBlock);
  }
  const std::int64_t resident_before = current_resident_bytes();
  for (std::size_t i = 0; i + 1 < kBlocks; ++i) blocks[i].reset();
  ASSERT_TRUE(release_free_memory());
  const std::int64_t resident_after = current_resident_bytes();
  EXPECT_LT(resident_after, resident_before - static_cast<std::int64_t>(kBlock * kBlocks / 2))
      << allocator_name();
  EXPECT_EQ(blocks.back()[kBlock - 1], 1);
}

}  // namespace nnlab::core
