// src/util/port/: the record line scan's byte classifier (simd_scan.h) gives, in its SSE2
// version where built, the same masks as the portable reference on every byte value and
// position; CpuRelax (cpu_relax.h) compiles and returns on this platform.
#include <gtest/gtest.h>

#include <atomic>
#include <cstring>
#include <random>

#include "util/port/cpu_relax.h"
#include "util/port/simd_scan.h"

namespace auditlog::internal {
namespace {

void ExpectSame(const unsigned char* p) {
  const ByteMasks fast = Classify64(p), ref = Classify64Portable(p);
  EXPECT_EQ(fast.quote, ref.quote);
  EXPECT_EQ(fast.backslash, ref.backslash);
  EXPECT_EQ(fast.space, ref.space);
  EXPECT_EQ(fast.control, ref.control);
  EXPECT_EQ(fast.high, ref.high);
}

TEST(SimdScanTest, EveryByteValueAtEveryPosition) {
  unsigned char block[64];
  for (unsigned b = 0; b < 256; ++b) {
    for (int pos = 0; pos < 64; ++pos) {
      std::memset(block, 'a', sizeof block);
      block[pos] = static_cast<unsigned char>(b);
      ExpectSame(block);
    }
  }
}

TEST(SimdScanTest, ReferenceMasks) {
  unsigned char block[64];
  std::memset(block, 'a', sizeof block);
  block[0] = '"';
  block[1] = '\\';
  block[2] = ' ';
  block[3] = 0x1F;
  block[4] = 0x7F;
  block[5] = 0x80;
  block[63] = 0xFF;
  const ByteMasks m = Classify64Portable(block);
  EXPECT_EQ(m.quote, 1u << 0);
  EXPECT_EQ(m.backslash, 1u << 1);
  EXPECT_EQ(m.space, 1u << 2);
  EXPECT_EQ(m.control, (1u << 3) | (1u << 4));
  EXPECT_EQ(m.high, (std::uint64_t{1} << 5) | (std::uint64_t{1} << 63));
}

TEST(SimdScanTest, RandomBlocks) {
  std::mt19937 rng(7);
  unsigned char block[64];
  for (int i = 0; i < 20000; ++i) {
    for (auto& b : block) b = static_cast<unsigned char>(rng());
    ExpectSame(block);
  }
}

TEST(CpuRelaxTest, ASpinLoopEnds) {
  std::atomic<int> turns{0};
  while (turns.fetch_add(1, std::memory_order_relaxed) < 1000) CpuRelax();
  EXPECT_EQ(turns.load(), 1001);
}

}  // namespace
}  // namespace auditlog::internal
