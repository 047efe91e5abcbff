//===- BufferPacking.cpp - Offsets for buffers with live intervals --------===//
//
// Part of the Kiln project: an MLIR compiler for training programs.
//
//===----------------------------------------------------------------------===//
//
// Greedy-by-size best-fit offset assignment (see BufferPacking.h). With n
// buffers it costs O(n^2 log n): each placement sorts the placed buffers
// that are live at the same time by offset and scans the gaps between them.
//
//===----------------------------------------------------------------------===//

#include "kiln/Analysis/BufferPacking.h"

#include <algorithm>
#include <limits>
#include <map>
#include <numeric>
#include <utility>

namespace kiln {

static int64_t alignUp(int64_t value, int64_t alignment) {
  return (value + alignment - 1) / alignment * alignment;
}

BufferLayout packBuffers(const std::vector<BufferInterval> &buffers,
                         int64_t sizeAlignment) {
  size_t n = buffers.size();
  BufferLayout layout;
  layout.offsets.assign(n, 0);

  std::vector<size_t> order(n);
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    const BufferInterval &x = buffers[a], &y = buffers[b];
    if (x.bytes != y.bytes)
      return x.bytes > y.bytes;
    // Equal sizes in order of start: for them this is interval-graph
    // colouring in start order, which needs no more slots than the most
    // buffers live at one point.
    if (x.start != y.start)
      return x.start < y.start;
    return x.end > y.end;
  });

  std::vector<size_t> placed;
  placed.reserve(n);
  // (offset, end offset) of the placed buffers live with the current one.
  std::vector<std::pair<int64_t, int64_t>> busy;
  int64_t top = 0;
  for (size_t index : order) {
    const BufferInterval &buffer = buffers[index];
    int64_t alignment = std::max<int64_t>(1, buffer.alignment);
    busy.clear();
    for (size_t other : placed)
      if (liveAtSameTime(buffer, buffers[other]))
        busy.emplace_back(layout.offsets[other],
                          layout.offsets[other] + buffers[other].bytes);
    std::sort(busy.begin(), busy.end());

    // Scan the gaps from the bottom; keep the smallest one that fits.
    int64_t bestOffset = -1;
    int64_t bestGap = std::numeric_limits<int64_t>::max();
    int64_t cursor = 0; // Lowest free address above the busy ranges so far.
    for (const auto &[begin, end] : busy) {
      int64_t candidate = alignUp(cursor, alignment);
      if (begin > cursor && candidate + buffer.bytes <= begin &&
          begin - cursor < bestGap) {
        bestGap = begin - cursor;
        bestOffset = candidate;
      }
      cursor = std::max(cursor, end);
    }
    if (bestOffset < 0)
      bestOffset = alignUp(cursor, alignment);
    layout.offsets[index] = bestOffset;
    top = std::max(top, bestOffset + buffer.bytes);
    placed.push_back(index);
  }
  layout.arenaBytes = alignUp(top, std::max<int64_t>(1, sizeAlignment));
  return layout;
}

int64_t liveBytesLowerBound(const std::vector<BufferInterval> &buffers) {
  // Sweep: +bytes at start, -bytes after end (closed intervals).
  std::map<int64_t, int64_t> delta;
  for (const BufferInterval &b : buffers) {
    delta[b.start] += b.bytes;
    delta[b.end + 1] -= b.bytes;
  }
  int64_t live = 0, peak = 0;
  for (const auto &[point, change] : delta) {
    live += change;
    peak = std::max(peak, live);
  }
  return peak;
}

bool isValidLayout(const std::vector<BufferInterval> &buffers,
                   const BufferLayout &layout) {
  if (layout.offsets.size() != buffers.size())
    return false;
  for (size_t i = 0; i < buffers.size(); ++i) {
    int64_t offset = layout.offsets[i];
    int64_t alignment = std::max<int64_t>(1, buffers[i].alignment);
    if (offset < 0 || offset % alignment != 0 ||
        offset + buffers[i].bytes > layout.arenaBytes)
      return false;
    for (size_t j = i + 1; j < buffers.size(); ++j) {
      if (!liveAtSameTime(buffers[i], buffers[j]))
        continue;
      int64_t other = layout.offsets[j];
      bool disjoint = offset + buffers[i].bytes <= other ||
                      other + buffers[j].bytes <= offset;
      if (!disjoint)
        return false;
    }
  }
  return true;
}

} // namespace kiln
