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
// Large freed blocks (a step's arena, typically) are kept for the next
// allocation of the same size and alignment instead of going back to the
// C library: glibc returns blocks above its mmap threshold to the kernel,
// and the next step would fault every page of a fresh mapping in again
// (a sixth of a small CNN step's time). Kept blocks count as free: the
// measured peak is what the compiled code holds.
//
//===----------------------------------------------------------------------===//

#include "kiln/Codegen/CPU/AllocationTracking.h"

#include "llvm/ADT/DenseMap.h"

#include <algorithm>
#include <cstdlib>
#include <mutex>
#include <vector>

namespace kiln {
namespace cpu {

namespace {
thread_local AllocationTrackingScope *activeScope = nullptr;
} // namespace

struct AllocationRegistry {
  struct Block {
    int64_t bytes;
    AllocationTrackingScope *scope; // Null once that scope has ended.
    uint64_t alignment;             // 0: plain malloc.
  };
  /// A freed block kept for reuse.
  struct KeptBlock {
    void *ptr;
    uint64_t bytes, alignment;
  };
  static constexpr uint64_t kKeepMinBytes = 1 << 20;
  static constexpr size_t kKeepMaxBlocks = 8;

  std::mutex mutex;
  llvm::DenseMap<void *, Block> blocks;
  std::vector<KeptBlock> kept;

  static AllocationRegistry &get() {
    static AllocationRegistry registry;
    return registry;
  }
  ~AllocationRegistry() {
    for (KeptBlock &k : kept)
      std::free(k.ptr);
  }

  /// A kept block of exactly this size and alignment, or null.
  void *reuse(uint64_t size, uint64_t alignment) {
    if (size < kKeepMinBytes)
      return nullptr;
    std::lock_guard<std::mutex> lock(mutex);
    for (size_t i = 0; i < kept.size(); ++i)
      if (kept[i].bytes == size && kept[i].alignment == alignment) {
        void *ptr = kept[i].ptr;
        kept.erase(kept.begin() + i);
        return ptr;
      }
    return nullptr;
  }

  void *record(void *ptr, uint64_t size, uint64_t alignment = 0) {
    if (!ptr)
      return ptr;
    std::lock_guard<std::mutex> lock(mutex);
    AllocationTrackingScope *scope = activeScope;
    blocks[ptr] = {static_cast<int64_t>(size), scope, alignment};
    if (scope) {
      scope->live += static_cast<int64_t>(size);
      scope->stats.peakBytes = std::max(scope->stats.peakBytes, scope->live);
      scope->stats.numAllocations += 1;
      scope->stats.allocatedBytes += static_cast<int64_t>(size);
    }
    return ptr;
  }

  /// Ends a block's life; false when the registry keeps it for reuse (the
  /// caller must then not free it).
  bool release(void *ptr) {
    if (!ptr)
      return true;
    std::lock_guard<std::mutex> lock(mutex);
    auto it = blocks.find(ptr);
    if (it == blocks.end())
      return true;
    Block block = it->second;
    if (AllocationTrackingScope *scope = block.scope)
      scope->live -= block.bytes;
    blocks.erase(it);
    if (block.alignment == 0 ||
        static_cast<uint64_t>(block.bytes) < kKeepMinBytes ||
        kept.size() >= kKeepMaxBlocks)
      return true;
    kept.push_back({ptr, static_cast<uint64_t>(block.bytes), block.alignment});
    return false;
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
  AllocationRegistry &registry = AllocationRegistry::get();
  size_t align = std::max<size_t>(alignment, sizeof(void *));
  void *ptr = registry.reuse(size, align);
  if (!ptr && posix_memalign(&ptr, align, size) != 0)
    ptr = nullptr;
  return registry.record(ptr, size, align);
}

extern "C" void kilnTrackedFree(void *ptr) {
  if (AllocationRegistry::get().release(ptr))
    std::free(ptr);
}

} // namespace hooks

} // namespace cpu
} // namespace kiln
