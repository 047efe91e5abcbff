//===- MemoryPlan.cpp - Liveness and arena offsets of buffers -------------===//
//
// Part of the Kiln project: an MLIR compiler for training programs.
//
//===----------------------------------------------------------------------===//
//
// Follows each top-level allocation through its aliases to its last use (see
// MemoryPlan.h for the rules) and packs the intervals with packBuffers.
//
//===----------------------------------------------------------------------===//

#include "kiln/Analysis/MemoryPlan.h"

#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/IR/Block.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Operation.h"
#include "mlir/Interfaces/DataLayoutInterfaces.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/DenseSet.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/Support/MathExtras.h"

#include <algorithm>

using namespace mlir;

namespace kiln {

int64_t MemoryPlan::numDynamicAllocs() const {
  return llvm::count_if(unplanned, [](const UnplannedAlloc &a) {
    return a.reason == UnplannedReason::DynamicShape;
  });
}

int64_t MemoryPlan::numUnplannedStatic() const {
  return static_cast<int64_t>(unplanned.size()) - numDynamicAllocs();
}

int64_t MemoryPlan::unplannedStaticBytes() const {
  int64_t bytes = 0;
  for (const UnplannedAlloc &a : unplanned)
    bytes += a.bytes;
  return bytes;
}

bool MemoryPlan::hasExplicitDeallocs() const {
  return llvm::any_of(buffers, [](const PlannedBuffer &b) {
    return !b.deallocs.empty();
  });
}

/// Bytes one element occupies in memory, padded to its ABI alignment as
/// LLVM's allocation size is (i1 -> 1, i24 -> 4, index -> 8).
static std::optional<int64_t> elementBytes(Type type, const DataLayout &layout) {
  if (auto complex = dyn_cast<ComplexType>(type)) {
    std::optional<int64_t> part = elementBytes(complex.getElementType(), layout);
    if (!part)
      return std::nullopt;
    return 2 * *part;
  }
  if (!type.isIntOrIndexOrFloat() && !isa<VectorType>(type))
    return std::nullopt;
  if (auto vector = dyn_cast<VectorType>(type);
      vector && (vector.isScalable() ||
                 !vector.getElementType().isIntOrIndexOrFloat()))
    return std::nullopt;
  int64_t size = static_cast<int64_t>(layout.getTypeSize(type).getFixedValue());
  int64_t align = static_cast<int64_t>(layout.getTypeABIAlignment(type));
  return static_cast<int64_t>(llvm::alignTo(size, std::max<int64_t>(1, align)));
}

std::optional<int64_t> staticMemRefBytes(MemRefType type, Operation *scope) {
  if (!type.hasStaticShape())
    return std::nullopt;
  std::optional<int64_t> element =
      elementBytes(type.getElementType(), DataLayout::closest(scope));
  if (!element)
    return std::nullopt;
  return type.getNumElements() * *element;
}

/// Types that cannot carry a buffer's address out of sight of the analysis.
static bool isPlainData(Type type) {
  return type.isIntOrIndexOrFloat() || isa<VectorType, ComplexType>(type);
}

namespace {
/// The interval of one top-level buffer, or why it cannot be planned.
struct UseScan {
  int64_t end = 0;
  bool escapes = false;
  SmallVector<Operation *, 1> deallocs;
};
} // namespace

static UseScan scanUses(Operation *allocOp, Block &body,
                        const llvm::DenseMap<Operation *, int64_t> &position) {
  UseScan scan;
  scan.end = position.lookup(allocOp);
  SmallVector<Value> worklist = {allocOp->getResult(0)};
  llvm::DenseSet<Value> seen = {allocOp->getResult(0)};
  auto addAlias = [&](Value v) {
    if (isa<BaseMemRefType>(v.getType()) && seen.insert(v).second)
      worklist.push_back(v);
  };
  while (!worklist.empty() && !scan.escapes) {
    Value value = worklist.pop_back_val();
    for (OpOperand &use : value.getUses()) {
      Operation *user = use.getOwner();
      Operation *top = body.findAncestorOpInBlock(*user);
      if (!top) {
        scan.escapes = true;
        break;
      }
      if (isa<memref::DeallocOp>(user)) {
        if (user != top) { // Conditional: the buffer's lifetime is dynamic.
          scan.escapes = true;
          break;
        }
        scan.deallocs.push_back(user);
        continue;
      }
      // Returned, or freed/reallocated by something else, or turned into a
      // raw address: the buffer must stay a separate allocation.
      if (user->hasTrait<OpTrait::ReturnLike>() && user == top) {
        scan.escapes = true;
        break;
      }
      if (hasEffect<MemoryEffects::Free>(user, value) ||
          isa<memref::ExtractAlignedPointerAsIndexOp>(user)) {
        scan.escapes = true;
        break;
      }
      scan.end = std::max(scan.end, position.lookup(top));
      for (Value result : user->getResults()) {
        if (!isa<BaseMemRefType>(result.getType()) &&
            !isPlainData(result.getType())) {
          scan.escapes = true;
          break;
        }
        addAlias(result);
      }
      // Out of a nested region a buffer reaches its enclosing ops' results
      // only by being yielded (a loop's iter_args, an if's branches).
      if (user != top && user->hasTrait<OpTrait::ReturnLike>())
        for (Value result : user->getParentOp()->getResults())
          addAlias(result);
    }
  }
  return scan;
}

/// Iterations of a forall with static bounds, or -1.
static int64_t forallTripCount(scf::ForallOp forall) {
  int64_t trip = 1;
  for (auto [lb, ub, step] :
       llvm::zip(forall.getStaticLowerBound(), forall.getStaticUpperBound(),
                 forall.getStaticStep())) {
    if (ShapedType::isDynamic(lb) || ShapedType::isDynamic(ub) ||
        ShapedType::isDynamic(step) || step <= 0)
      return -1;
    trip *= std::max<int64_t>(0, llvm::divideCeil(ub - lb, step));
  }
  return trip;
}

/// How many instances of `op` (nested in `body`) may be live at once: the
/// product, over the scf.foralls around it, of their trip count capped by
/// `parallelInstances` (their iterations run on that many threads).
static int64_t concurrentInstances(Operation *op, Block &body,
                                   int64_t parallelInstances) {
  int64_t instances = 1;
  for (Operation *parent = op->getParentOp();
       parent && parent->getBlock() && parent != body.getParentOp();
       parent = parent->getParentOp()) {
    auto forall = dyn_cast<scf::ForallOp>(parent);
    if (!forall)
      continue;
    int64_t trip = forallTripCount(forall);
    if (trip < 0)
      trip = parallelInstances;
    instances *= std::max<int64_t>(1, std::min(trip, parallelInstances));
  }
  return instances;
}

MemoryPlan computeMemoryPlan(Block &body, const MemoryPlanOptions &options) {
  MemoryPlan plan;
  int64_t baseAlignment = std::max<int64_t>(1, options.alignment);
  plan.arenaAlignment = baseAlignment;
  bool singleBlock = body.getParent() && body.getParent()->hasOneBlock();

  llvm::DenseMap<Operation *, int64_t> position;
  int64_t index = 0;
  for (Operation &op : body)
    position[&op] = index++;

  std::vector<BufferInterval> intervals;
  auto visit = [&](Operation *op) {
    bool isAlloca = isa<memref::AllocaOp>(op);
    auto type = cast<MemRefType>(op->getResult(0).getType());
    std::optional<int64_t> bytes = staticMemRefBytes(type, op);
    auto leave = [&](UnplannedReason reason) {
      if (!isAlloca) // Stack allocations cost no heap.
        plan.unplanned.push_back(
            {op, reason,
             bytes.value_or(0) *
                 concurrentInstances(op, body, options.parallelInstances)});
    };
    if (!type.hasStaticShape())
      return leave(UnplannedReason::DynamicShape);
    // Directly in the body of a one-dimensional scf.forall of the block
    // with no more iterations than threads: a slot per iteration.
    auto forall = dyn_cast_or_null<scf::ForallOp>(op->getParentOp());
    int64_t slots = 1;
    if (forall && singleBlock && forall->getBlock() == &body &&
        forall.getRank() == 1) {
      int64_t trip = forallTripCount(forall);
      if (trip > 0 && trip <= options.parallelInstances)
        slots = trip;
    }
    if (!singleBlock || (op->getBlock() != &body && slots == 1))
      return leave(UnplannedReason::NestedRegion);
    if (!bytes || !type.getLayout().isIdentity() || type.getMemorySpace())
      return leave(UnplannedReason::UnsupportedType);
    if (isAlloca && (options.minAllocaBytes < 0 ||
                     *bytes < options.minAllocaBytes))
      return; // Stays on the stack.
    if (*bytes == 0)
      return; // Nothing to place: an empty allocation costs nothing.
    UseScan scan = scanUses(op, body, position);
    if (scan.escapes)
      return leave(UnplannedReason::Escapes);

    int64_t alignment = baseAlignment;
    if (auto alloc = dyn_cast<memref::AllocOp>(op))
      alignment = std::max<int64_t>(alignment, alloc.getAlignment().value_or(1));
    else if (auto alloca = dyn_cast<memref::AllocaOp>(op))
      alignment =
          std::max<int64_t>(alignment, alloca.getAlignment().value_or(1));
    BufferInterval interval;
    int64_t slotBytes = static_cast<int64_t>(llvm::alignTo(*bytes, alignment));
    interval.start = position.lookup(slots > 1 ? forall.getOperation() : op);
    interval.end = std::max(scan.end, interval.start);
    interval.bytes = slots * slotBytes;
    interval.alignment = alignment;
    plan.arenaAlignment = std::max(plan.arenaAlignment, alignment);
    intervals.push_back(interval);
    PlannedBuffer buffer;
    buffer.allocOp = op;
    buffer.interval = interval;
    buffer.slots = slots;
    buffer.slotBytes = slotBytes;
    buffer.deallocs = std::move(scan.deallocs);
    plan.buffers.push_back(std::move(buffer));
  };
  body.getParentOp()->walk([&](Operation *op) {
    if (isa<memref::AllocOp, memref::AllocaOp>(op))
      visit(op);
  });

  BufferLayout layout = packBuffers(intervals, plan.arenaAlignment);
  for (auto [buffer, offset] : llvm::zip(plan.buffers, layout.offsets))
    buffer.offset = offset;
  plan.arenaBytes = layout.arenaBytes;
  plan.liveBytesBound = liveBytesLowerBound(intervals);
  for (const BufferInterval &interval : intervals)
    plan.naiveBytes += interval.bytes;
  return plan;
}

} // namespace kiln
