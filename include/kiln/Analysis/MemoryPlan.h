//===- MemoryPlan.h - Liveness and arena offsets of buffers -----*- C++ -*-===//
//
// Part of the Kiln project: an MLIR compiler for training programs.
//
//===----------------------------------------------------------------------===//
//
// The analysis behind kiln-plan-memory, on a function after bufferization.
// Each program point is an op of the function's (single) body block, in
// order. A static-shaped `memref.alloc` (or a `memref.alloca` of at least
// MemoryPlanOptions::minAllocaBytes) in that block is live from its own
// point to the last point that uses it or any alias of it:
//
//   - an alias is any memref result of an op that takes the buffer (or an
//     alias) as an operand: view-like ops (subview, expand/collapse_shape,
//     cast, reinterpret_cast, view), calls, region ops;
//   - a use inside a nested region counts at the point of the enclosing op
//     of the body block; a value yielded out of a region (scf.yield and
//     other return-like terminators) makes the memref results of the op
//     holding the region aliases, so a loop's result aliases what its body
//     yields (its iter_args), not every buffer the body reads;
//   - `memref.dealloc` of the buffer or an alias in the body block ends
//     nothing (it goes away once the buffer is planned).
//
// A buffer is left alone (not planned) when it is returned, freed other
// than by a top-level `memref.dealloc` (realloc, `bufferization.dealloc`, a
// dealloc in a nested region), converted to a raw pointer or a non-memref
// handle, or when its type has a non-identity layout or a memory space.
// Allocations in nested regions and dynamic-shaped ones stay separate too;
// the plan counts them.
//
// The planned buffers then get arena offsets from packBuffers
// (BufferPacking.h).
//
//===----------------------------------------------------------------------===//

#ifndef KILN_ANALYSIS_MEMORYPLAN_H
#define KILN_ANALYSIS_MEMORYPLAN_H

#include "kiln/Analysis/BufferPacking.h"

#include "llvm/ADT/SmallVector.h"

#include <cstdint>
#include <optional>

namespace mlir {
class Block;
class Operation;
class MemRefType;
} // namespace mlir

namespace kiln {

struct MemoryPlanOptions {
  /// Alignment (bytes, a power of two) of every buffer's offset and of the
  /// arena; a buffer whose alloc asks for more keeps its own.
  int64_t alignment = 64;
  /// `memref.alloca`s of at least this many bytes move into the arena;
  /// smaller ones stay on the stack. Negative: no alloca moves.
  int64_t minAllocaBytes = 4096;
  /// Iterations of a parallel loop (`scf.forall`) that may run at once.
  /// A static allocation in the body of a one-dimensional forall of the
  /// body block with at most this many iterations gets an arena slot per
  /// iteration; one left out of the arena counts this many times (at most
  /// the loop's trip count).
  int64_t parallelInstances = 1;
};

/// One buffer placed in the arena.
struct PlannedBuffer {
  /// The `memref.alloc` / `memref.alloca` it replaces.
  mlir::Operation *allocOp = nullptr;
  /// Its interval (body-block op indices), size rounded up to its alignment.
  BufferInterval interval;
  int64_t offset = 0;
  /// A buffer allocated in the body of a one-dimensional `scf.forall` of
  /// the body block gets one slot per iteration (`slots` of `slotBytes`
  /// each, from `offset`); its interval is the loop's.
  int64_t slots = 1;
  int64_t slotBytes = 0;
  /// `memref.dealloc`s of the buffer (or an alias) in the body block.
  llvm::SmallVector<mlir::Operation *, 1> deallocs;
};

/// Why an allocation stays a separate allocation.
enum class UnplannedReason {
  DynamicShape,    ///< size known only at run time
  NestedRegion,    ///< inside a loop or another region (or a multi-block body)
  Escapes,         ///< returned, freed in another way, or turned into a pointer
  UnsupportedType, ///< layout, memory space or element size not handled
};

struct UnplannedAlloc {
  mlir::Operation *allocOp = nullptr;
  UnplannedReason reason;
  /// Bytes of the instances that may be live at once when the shape is
  /// static (one, or one per concurrent iteration of the parallel loops
  /// around it); 0 for dynamic shapes.
  int64_t bytes = 0;
};

struct MemoryPlan {
  llvm::SmallVector<PlannedBuffer> buffers;
  /// Size and alignment of the arena that holds every planned buffer.
  int64_t arenaBytes = 0;
  int64_t arenaAlignment = 64;
  /// Sum of the planned buffers' (aligned) sizes: one allocation each.
  int64_t naiveBytes = 0;
  /// Most planned bytes live at one point: no arena is smaller.
  int64_t liveBytesBound = 0;
  /// Heap allocations (`memref.alloc`) that stay separate. Stack allocas
  /// that stay on the stack are not listed.
  llvm::SmallVector<UnplannedAlloc> unplanned;

  /// Counts and static bytes of the unplanned heap allocations.
  int64_t numDynamicAllocs() const;
  int64_t numUnplannedStatic() const;
  int64_t unplannedStaticBytes() const;
  /// True when some planned buffer had a `memref.dealloc`, i.e. the IR
  /// deallocates explicitly and the arena needs a dealloc of its own.
  bool hasExplicitDeallocs() const;
};

/// Bytes of a static-shaped memref's data (element count times the element
/// size with its ABI padding, as the LLVM lowering allocates it), or
/// nullopt for dynamic shapes and element types of unknown size.
std::optional<int64_t> staticMemRefBytes(mlir::MemRefType type,
                                         mlir::Operation *scope);

/// Analyzes the allocations of the region whose entry block is `body` and
/// packs the plannable ones.
MemoryPlan computeMemoryPlan(mlir::Block &body,
                             const MemoryPlanOptions &options = {});

} // namespace kiln

#endif // KILN_ANALYSIS_MEMORYPLAN_H
