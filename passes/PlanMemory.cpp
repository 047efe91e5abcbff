//===- PlanMemory.cpp - One arena for a function's transient buffers ------===//
//
// Part of the Kiln project: an MLIR compiler for training programs.
//
//===----------------------------------------------------------------------===//
//
// The kiln-plan-memory pass: computes a MemoryPlan (kiln/Analysis/
// MemoryPlan.h) for each function and rewrites it,
//
//   %a = memref.alloc() : memref<4x16xf32>        // live [2, 5]
//   %b = memref.alloc() : memref<4xf32>           // live [7, 9]
// to
//   %arena = memref.alloc() {alignment = 64} : memref<256xi8>
//   %a = memref.view %arena[%c0][] : memref<256xi8> to memref<4x16xf32>
//   %b = memref.view %arena[%c0][] : memref<256xi8> to memref<4xf32>
//
// and records the plan's numbers on the function (kiln.arena_bytes, ...),
// which the JIT reads back as the planned peak of transient memory.
//
//===----------------------------------------------------------------------===//

#include "kiln/Passes/Passes.h"

#include "kiln/Analysis/MemoryPlan.h"
#include "kiln/Support/ThreadCount.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/IR/Builders.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/SetVector.h"

namespace kiln {
#define GEN_PASS_DEF_KILNPLANMEMORY
#include "kiln/Dialect/Kiln/Passes.h.inc"
} // namespace kiln

using namespace mlir;

namespace {
struct KilnPlanMemoryPass
    : public kiln::impl::KilnPlanMemoryBase<KilnPlanMemoryPass> {
  using Base::Base;

  void runOnOperation() override {
    func::FuncOp func = getOperation();
    if (func.isExternal())
      return;
    if (alignment <= 0 || (alignment & (alignment - 1)) != 0) {
      func.emitError() << "kiln-plan-memory: alignment " << alignment
                       << " is not a positive power of two";
      return signalPassFailure();
    }
    kiln::MemoryPlanOptions options;
    options.alignment = alignment;
    options.minAllocaBytes = minAllocaBytes;
    options.parallelInstances = kiln::resolveThreadCount(numThreads);
    Block &body = func.getBody().front();
    kiln::MemoryPlan plan = kiln::computeMemoryPlan(body, options);
    if (explainPeak)
      explain(func, plan);
    rewrite(func, body, plan);

    MLIRContext *context = func.getContext();
    auto i64 = [&](int64_t v) {
      return IntegerAttr::get(IntegerType::get(context, 64), v);
    };
    func->setAttr("kiln.arena_bytes", i64(plan.arenaBytes));
    func->setAttr("kiln.planned_buffers", i64(plan.buffers.size()));
    func->setAttr("kiln.unplanned_allocs", i64(plan.numUnplannedStatic()));
    func->setAttr("kiln.unplanned_bytes", i64(plan.unplannedStaticBytes()));
    func->setAttr("kiln.dynamic_allocs", i64(plan.numDynamicAllocs()));

    numPlanned += plan.buffers.size();
    numArenaBytes += plan.arenaBytes;
    numNaiveBytes += plan.naiveBytes;
    numUnplanned += plan.unplanned.size();
    // At the function's location, not on the op: a remark on the op would
    // print the whole function after it.
    emitRemark(func.getLoc())
        << "plan-memory: " << plan.buffers.size() << " buffers in a "
        << plan.arenaBytes << "-byte arena (" << plan.naiveBytes
        << " bytes as separate allocations, saved "
        << plan.naiveBytes - plan.arenaBytes << "; live-bytes bound "
        << plan.liveBytesBound << "); left separate: "
        << plan.numUnplannedStatic() << " static ("
        << plan.unplannedStaticBytes() << " bytes), "
        << plan.numDynamicAllocs() << " dynamic";
  }

  /// Names the buffers live where the live bytes peak: one remark each, at
  /// the first op that uses the buffer (the op that fills it, whose
  /// location names the ONNX node), largest first.
  void explain(func::FuncOp func, const kiln::MemoryPlan &plan) {
    std::vector<kiln::BufferInterval> intervals;
    for (const kiln::PlannedBuffer &b : plan.buffers)
      intervals.push_back(b.interval);
    kiln::LiveBytesProfile profile = kiln::liveBytesProfile(intervals);
    int64_t peak = -1, point = 0;
    for (auto [at, live] : llvm::zip(profile.points, profile.live))
      if (live > peak)
        std::tie(peak, point) = std::make_pair(live, at);
    std::vector<const kiln::PlannedBuffer *> atPeak;
    for (const kiln::PlannedBuffer &b : plan.buffers)
      if (b.interval.start <= point && point <= b.interval.end)
        atPeak.push_back(&b);
    llvm::stable_sort(atPeak, [](auto *a, auto *b) {
      return a->interval.bytes > b->interval.bytes;
    });
    emitRemark(func.getLoc())
        << "plan-memory: " << peak << " bytes live in " << atPeak.size()
        << " buffers at op " << point;
    for (const kiln::PlannedBuffer *b : atPeak) {
      Operation *alloc = b->allocOp;
      Operation *first = nullptr;
      for (Operation *user : alloc->getResult(0).getUsers())
        if (Operation *top = alloc->getBlock()->findAncestorOpInBlock(*user))
          if (!first || top->isBeforeInBlock(first))
            first = top;
      Operation *at = first ? first : alloc;
      emitRemark(at->getLoc())
          << "plan-memory: live at the peak: " << b->interval.bytes
          << " bytes, " << alloc->getResult(0).getType() << ", live ops "
          << b->interval.start << ".." << b->interval.end << ", first used by "
          << at->getName();
    }
  }

  void rewrite(func::FuncOp func, Block &body, const kiln::MemoryPlan &plan) {
    if (plan.buffers.empty())
      return;
    OpBuilder builder(func.getContext());
    Location loc = func.getLoc();
    builder.setInsertionPointToStart(&body);
    auto arenaType = MemRefType::get({plan.arenaBytes}, builder.getI8Type());
    auto arena = memref::AllocOp::create(
        builder, loc, arenaType,
        builder.getI64IntegerAttr(plan.arenaAlignment));
    arena->setAttr("kiln.arena", builder.getUnitAttr());

    // A dealloc of a value that may be either of two buffers (a select of
    // two allocs) belongs to both: erase each one once, at the end.
    llvm::SetVector<Operation *> deallocs;
    for (const kiln::PlannedBuffer &buffer : plan.buffers) {
      Operation *allocOp = buffer.allocOp;
      builder.setInsertionPoint(allocOp);
      Value offset = arith::ConstantIndexOp::create(builder, allocOp->getLoc(),
                                                    buffer.offset);
      if (buffer.slots > 1) {
        // This iteration's slot: offset + (iv - lb) / step * slot bytes.
        auto forall = cast<scf::ForallOp>(allocOp->getParentOp());
        Location l = allocOp->getLoc();
        Value iv = forall.getInductionVar(0);
        Value lb = arith::ConstantIndexOp::create(
            builder, l, forall.getStaticLowerBound()[0]);
        Value step = arith::ConstantIndexOp::create(
            builder, l, forall.getStaticStep()[0]);
        Value index = arith::DivUIOp::create(
            builder, l, arith::SubIOp::create(builder, l, iv, lb), step);
        Value slotBytes =
            arith::ConstantIndexOp::create(builder, l, buffer.slotBytes);
        offset = arith::AddIOp::create(
            builder, l, offset,
            arith::MulIOp::create(builder, l, index, slotBytes));
      }
      auto type = cast<MemRefType>(allocOp->getResult(0).getType());
      Value view = memref::ViewOp::create(builder, allocOp->getLoc(), type,
                                          arena, offset, ValueRange());
      allocOp->getResult(0).replaceAllUsesWith(view);
      deallocs.insert(buffer.deallocs.begin(), buffer.deallocs.end());
      allocOp->erase();
    }
    for (Operation *dealloc : deallocs)
      dealloc->erase();
    // IR that frees its buffers explicitly frees the arena too, after the
    // last use; otherwise the deallocation pipeline owns it.
    if (plan.hasExplicitDeallocs()) {
      builder.setInsertionPoint(body.getTerminator());
      memref::DeallocOp::create(builder, loc, arena);
    }
  }
};
} // namespace
