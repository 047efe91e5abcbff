//===- BufferPackingTest.cpp - Tests of arena offset assignment -----------===//
//
// Part of the Kiln project: an MLIR compiler for training programs.
//
//===----------------------------------------------------------------------===//
//
// packBuffers (kiln/Analysis/BufferPacking.h) against independent checks:
// every layout is checked byte range by byte range for buffers live at the
// same time, the arena is never below the most bytes live at one point, it
// reaches that bound where interval-graph colouring says it must (equal
// sizes, disjoint lifetimes), and on small random cases it is compared with
// the exact optimum found by brute force.
//
//===----------------------------------------------------------------------===//

#include "kiln/Analysis/BufferPacking.h"

#include "gtest/gtest.h"

#include <algorithm>
#include <limits>
#include <numeric>
#include <random>

using kiln::BufferInterval;
using kiln::BufferLayout;

namespace {

/// Independent of isValidLayout: paints every byte at every program point
/// and fails when two buffers paint the same one.
bool noBytesShared(const std::vector<BufferInterval> &buffers,
                   const BufferLayout &layout) {
  int64_t lastPoint = 0;
  for (const BufferInterval &b : buffers)
    lastPoint = std::max(lastPoint, b.end);
  for (int64_t t = 0; t <= lastPoint; ++t) {
    std::vector<int> owner(layout.arenaBytes, -1);
    for (size_t i = 0; i < buffers.size(); ++i) {
      if (buffers[i].start > t || buffers[i].end < t)
        continue;
      for (int64_t byte = 0; byte < buffers[i].bytes; ++byte) {
        int64_t address = layout.offsets[i] + byte;
        if (address < 0 || address >= layout.arenaBytes ||
            owner[address] != -1)
          return false;
        owner[address] = static_cast<int>(i);
      }
    }
  }
  return true;
}

/// The smallest arena over all orders of first-fit placement (each buffer
/// at the lowest aligned offset free of the buffers placed before it that
/// live at the same time). Placing an optimal layout's buffers in order of
/// offset this way moves none of them up, so this is the exact optimum.
int64_t bruteForceOptimum(const std::vector<BufferInterval> &buffers) {
  std::vector<size_t> order(buffers.size());
  std::iota(order.begin(), order.end(), 0);
  int64_t best = std::numeric_limits<int64_t>::max();
  do {
    std::vector<int64_t> offsets(buffers.size(), 0);
    int64_t top = 0;
    for (size_t k = 0; k < order.size(); ++k) {
      const BufferInterval &b = buffers[order[k]];
      int64_t offset = 0;
      for (bool moved = true; moved;) {
        moved = false;
        for (size_t j = 0; j < k; ++j) {
          const BufferInterval &o = buffers[order[j]];
          int64_t at = offsets[order[j]];
          if (kiln::liveAtSameTime(b, o) && offset < at + o.bytes &&
              at < offset + b.bytes) {
            offset = (at + o.bytes + b.alignment - 1) / b.alignment *
                     b.alignment;
            moved = true;
          }
        }
      }
      offsets[order[k]] = offset;
      top = std::max(top, offset + b.bytes);
    }
    best = std::min(best, top);
  } while (std::next_permutation(order.begin(), order.end()));
  return best;
}

std::vector<BufferInterval> randomBuffers(std::mt19937 &rng, int count,
                                          int points, bool equalSizes) {
  std::uniform_int_distribution<int> point(0, points - 1);
  std::uniform_int_distribution<int> blocks(1, 8);
  std::vector<BufferInterval> buffers;
  for (int i = 0; i < count; ++i) {
    int a = point(rng), b = point(rng);
    BufferInterval buffer;
    buffer.start = std::min(a, b);
    buffer.end = std::max(a, b);
    buffer.bytes = 64 * (equalSizes ? 1 : blocks(rng));
    buffer.alignment = 64;
    buffers.push_back(buffer);
  }
  return buffers;
}

TEST(BufferPacking, Empty) {
  BufferLayout layout = kiln::packBuffers({}, 64);
  EXPECT_EQ(layout.arenaBytes, 0);
  EXPECT_TRUE(layout.offsets.empty());
}

TEST(BufferPacking, DisjointLifetimesShareOneSlot) {
  std::vector<BufferInterval> buffers = {
      {0, 1, 1024, 64}, {2, 3, 4096, 64}, {4, 9, 256, 64}, {10, 10, 64, 64}};
  BufferLayout layout = kiln::packBuffers(buffers, 64);
  EXPECT_EQ(layout.arenaBytes, 4096);
  for (int64_t offset : layout.offsets)
    EXPECT_EQ(offset, 0);
  EXPECT_TRUE(noBytesShared(buffers, layout));
}

TEST(BufferPacking, AllLiveTogetherNeedTheSum) {
  std::vector<BufferInterval> buffers = {
      {0, 5, 128, 64}, {1, 4, 512, 64}, {2, 3, 64, 64}};
  BufferLayout layout = kiln::packBuffers(buffers, 64);
  EXPECT_EQ(layout.arenaBytes, 704);
  EXPECT_EQ(kiln::liveBytesLowerBound(buffers), 704);
  // Largest first: 512 at 0, 128 above it, 64 above both.
  EXPECT_EQ(layout.offsets, (std::vector<int64_t>{512, 0, 640}));
  EXPECT_TRUE(noBytesShared(buffers, layout));
}

TEST(BufferPacking, BestFitTakesTheSmallestGap) {
  // Q and U die after point 1 and leave two holes, [512, 832) and
  // [1088, 1280), among the buffers live with W over [3, 9]; W (128 bytes)
  // fits both and goes into the smaller one.
  std::vector<BufferInterval> buffers = {
      {0, 9, 512, 64}, // P: 0
      {0, 1, 320, 64}, // Q: 512
      {0, 9, 256, 64}, // R: 832
      {0, 1, 192, 64}, // U: 1088
      {0, 9, 128, 64}, // V: 1280
      {3, 9, 128, 64}, // W: 1088, not 512
  };
  BufferLayout layout = kiln::packBuffers(buffers, 64);
  EXPECT_TRUE(noBytesShared(buffers, layout));
  EXPECT_EQ(layout.offsets,
            (std::vector<int64_t>{0, 512, 832, 1088, 1280, 1088}));
  EXPECT_EQ(layout.arenaBytes, 1408);
  EXPECT_EQ(layout.arenaBytes, kiln::liveBytesLowerBound(buffers));
}

TEST(BufferPacking, AlignmentIsKept) {
  std::vector<BufferInterval> buffers = {
      {0, 3, 64, 64}, {0, 3, 256, 256}, {0, 3, 64, 64}};
  BufferLayout layout = kiln::packBuffers(buffers, 256);
  EXPECT_TRUE(kiln::isValidLayout(buffers, layout));
  EXPECT_EQ(layout.offsets[1] % 256, 0);
  EXPECT_EQ(layout.arenaBytes % 256, 0);
}

TEST(BufferPacking, EqualSizesReachTheLiveBytesBound) {
  // Equal sizes make offset assignment interval-graph colouring, whose
  // optimum is the largest clique: the most buffers live at one point.
  std::mt19937 rng(1234);
  for (int trial = 0; trial < 300; ++trial) {
    std::vector<BufferInterval> buffers =
        randomBuffers(rng, 1 + trial % 40, 30, /*equalSizes=*/true);
    BufferLayout layout = kiln::packBuffers(buffers, 64);
    ASSERT_TRUE(noBytesShared(buffers, layout)) << "trial " << trial;
    ASSERT_TRUE(kiln::isValidLayout(buffers, layout)) << "trial " << trial;
    EXPECT_EQ(layout.arenaBytes, kiln::liveBytesLowerBound(buffers))
        << "trial " << trial;
  }
}

TEST(BufferPacking, RandomLayoutsAreValidAndBounded) {
  std::mt19937 rng(42);
  for (int trial = 0; trial < 300; ++trial) {
    std::vector<BufferInterval> buffers =
        randomBuffers(rng, 1 + trial % 60, 40, /*equalSizes=*/false);
    BufferLayout layout = kiln::packBuffers(buffers, 64);
    ASSERT_TRUE(noBytesShared(buffers, layout)) << "trial " << trial;
    ASSERT_TRUE(kiln::isValidLayout(buffers, layout)) << "trial " << trial;
    int64_t naive = 0;
    for (const BufferInterval &b : buffers)
      naive += b.bytes;
    EXPECT_GE(layout.arenaBytes, kiln::liveBytesLowerBound(buffers));
    EXPECT_LE(layout.arenaBytes, naive);
  }
}

TEST(BufferPacking, SearchesPastTheSizeOrder) {
  // Found by a random search: placed by decreasing size (and by decreasing
  // lifetime) these need 10 units, but one order of the five reaches the
  // live-bytes bound of 9 (checked over all 120 orders).
  std::vector<BufferInterval> buffers = {{5, 5, 4 * 64, 64},
                                         {2, 3, 1 * 64, 64},
                                         {4, 4, 3 * 64, 64},
                                         {2, 5, 3 * 64, 64},
                                         {1, 4, 3 * 64, 64}};
  ASSERT_EQ(kiln::liveBytesLowerBound(buffers), 9 * 64);
  BufferLayout layout = kiln::packBuffers(buffers, 64);
  ASSERT_TRUE(noBytesShared(buffers, layout));
  EXPECT_EQ(layout.arenaBytes, 9 * 64);
}

TEST(BufferPacking, CloseToTheExactOptimumOnSmallCases) {
  std::mt19937 rng(7);
  int optimal = 0, trials = 200;
  int64_t greedyTotal = 0, optimumTotal = 0;
  for (int trial = 0; trial < trials; ++trial) {
    std::vector<BufferInterval> buffers =
        randomBuffers(rng, 2 + trial % 5, 8, /*equalSizes=*/false);
    BufferLayout layout = kiln::packBuffers(buffers, 64);
    int64_t optimum = bruteForceOptimum(buffers);
    ASSERT_TRUE(noBytesShared(buffers, layout));
    ASSERT_GE(layout.arenaBytes, optimum) << "trial " << trial;
    ASSERT_GE(optimum, kiln::liveBytesLowerBound(buffers));
    optimal += layout.arenaBytes == optimum;
    greedyTotal += layout.arenaBytes;
    optimumTotal += optimum;
  }
  // Measured with these seeds; a regression in the heuristic shows here.
  RecordProperty("optimal", optimal);
  EXPECT_GE(optimal, trials * 99 / 100);
  EXPECT_LE(greedyTotal, optimumTotal + optimumTotal / 200);
}

} // namespace
