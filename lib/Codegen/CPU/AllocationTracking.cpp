//===- AllocationTracking.cpp - Count the JIT'd code's heap memory --------===//
//
// Part of the Kiln project: an MLIR compiler for training programs.
//
//===----------------------------------------------------------------------===//
//
// A process-wide table from each live block to its size and the scope that
// allocated it, under one mutex; the active scope of a thread is a
// thread-local pointer. A step allocates a handful of blocks, so the lock
// costs nothing next to the work between allocations.
//
//===----------------------------------------------------------------------===//

#include "kiln/Codegen/CPU/AllocationTracking.h"

#include "llvm/ADT/DenseMap.h"

#include <algorithm>
#include <cstdlib>
#include <mutex>

namespace kiln {
namespace cpu {

namespace {
thread_local AllocationTrackingScope *activeScope = nullptr;
} // namespace

struct AllocationRegistry {
  struct Block {
    int64_t bytes;
    AllocationTrackingScope *scope; // Null once that scope has ended.
  };
  std::mutex mutex;
  llvm::DenseMap<void *, Block> blocks;

  static AllocationRegistry &get() {
    static AllocationRegistry registry;
    return registry;
  }

  void *record(void *ptr, uint64_t size) {
    if (!ptr)
      return ptr;
    std::lock_guard<std::mutex> lock(mutex);
    AllocationTrackingScope *scope = activeScope;
    blocks[ptr] = {static_cast<int64_t>(size), scope};
    if (scope) {
      scope->live += static_cast<int64_t>(size);
      scope->stats.peakBytes = std::max(scope->stats.peakBytes, scope->live);
      scope->stats.numAllocations += 1;
      scope->stats.allocatedBytes += static_cast<int64_t>(size);
    }
    return ptr;
  }

  void release(void *ptr) {
    if (!ptr)
      return;
    std::lock_guard<std::mutex> lock(mutex);
    auto it = blocks.find(ptr);
    if (it == blocks.end())
      return;
    if (AllocationTrackingScope *scope = it->second.scope)
      scope->live -= it->second.bytes;
    blocks.erase(it);
  }

  void endScope(AllocationTrackingScope *scope) {
    std::lock_guard<std::mutex> lock(mutex);
    // Blocks that outlive their scope (leaks, or zero-byte blocks) must not
    // point at it any more.
    for (auto &entry : blocks)
      if (entry.second.scope == scope)
        entry.second.scope = nullptr;
  }
};

AllocationTrackingScope::AllocationTrackingScope(AllocationStats &stats)
    : stats(stats), outer(activeScope) {
  stats = AllocationStats();
  activeScope = this;
}

AllocationTrackingScope::~AllocationTrackingScope() {
  activeScope = outer;
  stats.leakedBytes = live;
  AllocationRegistry::get().endScope(this);
}

namespace hooks {

extern "C" void *kilnTrackedAlloc(uint64_t size) {
  return AllocationRegistry::get().record(std::malloc(size), size);
}

extern "C" void *kilnTrackedAlignedAlloc(uint64_t alignment, uint64_t size) {
  // The lowering rounds `size` up to a multiple of `alignment`, as
  // aligned_alloc requires; posix_memalign also wants at least a pointer.
  void *ptr = nullptr;
  size_t align = std::max<size_t>(alignment, sizeof(void *));
  if (posix_memalign(&ptr, align, size) != 0)
    ptr = nullptr;
  return AllocationRegistry::get().record(ptr, size);
}

extern "C" void kilnTrackedFree(void *ptr) {
  AllocationRegistry::get().release(ptr);
  std::free(ptr);
}

} // namespace hooks

} // namespace cpu
} // namespace kiln
