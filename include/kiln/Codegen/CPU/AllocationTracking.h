//===- AllocationTracking.h - Count the JIT'd code's heap memory -*- C++ -*-===//
//
// Part of the Kiln project: an MLIR compiler for training programs.
//
//===----------------------------------------------------------------------===//
//
// The CPU pipeline can lower `memref.alloc`/`memref.dealloc` to calls of
// `_mlir_memref_to_llvm_aligned_alloc(alignment, size)`,
// `_mlir_memref_to_llvm_alloc(size)` and `_mlir_memref_to_llvm_free(ptr)`
// (CPUPipelineOptions::trackAllocations). The JitExecutor binds those names
// to the functions below, which allocate with the C library and record each
// block's requested size, so a run can report the most bytes its transient
// buffers held at once:
//
//   AllocationStats stats;
//   {
//     AllocationTrackingScope scope(stats);
//     ...call the compiled code on this thread...
//   }
//   stats.peakBytes ...
//
// A block counts toward the scope that was active on the thread that
// allocated it, wherever it is freed. Sizes are the bytes the code asked for
// (after the lowering rounds an aligned request up to its alignment), not
// the C library's own overhead.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_CODEGEN_CPU_ALLOCATIONTRACKING_H
#define KILN_CODEGEN_CPU_ALLOCATIONTRACKING_H

#include <cstdint>

namespace kiln {
namespace cpu {

/// Heap use of the compiled code over one tracking scope.
struct AllocationStats {
  /// Most bytes live at once.
  int64_t peakBytes = 0;
  /// Bytes allocated in the scope and not freed when it ended.
  int64_t leakedBytes = 0;
  /// Number and total bytes of the allocations made.
  int64_t numAllocations = 0;
  int64_t allocatedBytes = 0;
};

/// While alive, the compiled code's allocations on this thread are counted
/// into `stats` (which it resets). Scopes nest: the innermost one counts.
class AllocationTrackingScope {
public:
  explicit AllocationTrackingScope(AllocationStats &stats);
  ~AllocationTrackingScope();
  AllocationTrackingScope(const AllocationTrackingScope &) = delete;
  AllocationTrackingScope &operator=(const AllocationTrackingScope &) = delete;

  /// Bytes allocated in this scope and not yet freed.
  int64_t liveBytes() const { return live; }

private:
  friend struct AllocationRegistry;
  AllocationStats &stats;
  AllocationTrackingScope *outer;
  int64_t live = 0;
};

/// The functions the allocation hooks are bound to (C calling convention).
namespace hooks {
extern "C" void *kilnTrackedAlloc(uint64_t size);
extern "C" void *kilnTrackedAlignedAlloc(uint64_t alignment, uint64_t size);
extern "C" void kilnTrackedFree(void *ptr);
} // namespace hooks

} // namespace cpu
} // namespace kiln

#endif // KILN_CODEGEN_CPU_ALLOCATIONTRACKING_H
