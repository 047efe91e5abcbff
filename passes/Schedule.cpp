//===- Schedule.cpp - Memory-aware op order -------------------------------===//
//
// Part of the Kiln project: an MLIR compiler for training programs.
//
//===----------------------------------------------------------------------===//
//
// The kiln-schedule pass: memory-aware list scheduling at tensor level. In
// each block, the runs of side-effect-free ops between ops with side
// effects get a topological order that greedily picks the ready op with the
// best bytes freed minus bytes allocated (ties: the earlier op); the block
// takes the new order only when its tensor-level peak (RematGraph.h) falls.
//
//===----------------------------------------------------------------------===//

#include "kiln/Passes/Passes.h"

#include "kiln/Analysis/RematGraph.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Transforms/RegionUtils.h"
#include "llvm/ADT/SetVector.h"

namespace kiln {
#define GEN_PASS_DEF_KILNSCHEDULE
#include "kiln/Dialect/Kiln/Passes.h.inc"
} // namespace kiln

using namespace mlir;

namespace {

/// Ops of `block` whose results `op` reads (through operands or inside its
/// regions); `roots` gets the values read, views resolved to their roots.
void collectReads(Operation *op, Block &block,
                  llvm::SetVector<Operation *> &producers,
                  llvm::SetVector<Value> &roots) {
  llvm::SetVector<Value> read(op->operand_begin(), op->operand_end());
  if (op->getNumRegions())
    getUsedValuesDefinedAbove(op->getRegions(), read);
  for (Value v : read) {
    if (Operation *def = v.getDefiningOp(); def && def->getBlock() == &block)
      producers.insert(def);
    Value root = kiln::viewRoot(v);
    if (Operation *def = root.getDefiningOp(); def && def->getBlock() == &block)
      roots.insert(root);
  }
}

/// The greedy order of `block`'s non-terminator ops (see the file comment).
llvm::SmallVector<Operation *> greedyOrder(Block &block) {
  llvm::SmallVector<Operation *> ops;
  for (Operation &op : block.without_terminator())
    ops.push_back(&op);
  int n = ops.size();
  llvm::DenseMap<Operation *, int> index;
  for (auto [i, op] : llvm::enumerate(ops))
    index[op] = i;

  // Segments: ops with side effects keep their place; the ops between two
  // of them are scheduled among themselves.
  llvm::SmallVector<int> segment(n);
  int seg = 0;
  for (int i = 0; i < n; ++i) {
    bool barrier =
        kiln::classifyTensorOp(ops[i]) == kiln::TensorOpKind::Barrier;
    if (barrier)
      ++seg;
    segment[i] = seg;
    if (barrier)
      ++seg;
  }

  llvm::SmallVector<llvm::SmallVector<int>> users(n);
  llvm::SmallVector<int> waiting(n, 0);
  llvm::SmallVector<llvm::SmallVector<Value>> reads(n);
  llvm::DenseMap<Value, int> readersLeft; // Unscheduled readers of a root.
  for (Operation &op : block) {
    llvm::SetVector<Operation *> producers;
    llvm::SetVector<Value> roots;
    collectReads(&op, block, producers, roots);
    for (Value root : roots)
      ++readersLeft[root];
    if (op.hasTrait<OpTrait::IsTerminator>())
      continue;
    int i = index[&op];
    reads[i].assign(roots.begin(), roots.end());
    for (Operation *producer : producers) {
      users[index[producer]].push_back(i);
      ++waiting[i];
    }
  }

  auto score = [&](int i) {
    int64_t freed = 0;
    for (Value root : reads[i])
      if (readersLeft.lookup(root) == 1)
        freed += kiln::transientBytes(root);
    return freed - static_cast<int64_t>(kiln::allocatedBytes(ops[i]));
  };

  llvm::SmallVector<Operation *> order;
  order.reserve(n);
  llvm::SmallVector<int> ready;
  int segStart = 0;
  while (segStart < n) {
    int segEnd = segStart;
    while (segEnd < n && segment[segEnd] == segment[segStart])
      ++segEnd;
    for (int i = segStart; i < segEnd; ++i)
      if (waiting[i] == 0)
        ready.push_back(i);
    for (int done = segStart; done < segEnd; ++done) {
      // Scores change as readers go, so they are recomputed; blocks are a
      // few thousand ops at most.
      int best = -1;
      int64_t bestScore = 0;
      for (int i : ready) {
        int64_t s = score(i);
        if (best < 0 || s > bestScore || (s == bestScore && i < best)) {
          best = i;
          bestScore = s;
        }
      }
      llvm::erase(ready, best);
      order.push_back(ops[best]);
      for (Value root : reads[best])
        --readersLeft[root];
      for (int user : users[best])
        if (--waiting[user] == 0 && segment[user] == segment[best])
          ready.push_back(user);
    }
    // Users in later segments become ready when theirs starts.
    segStart = segEnd;
  }
  return order;
}

struct KilnSchedulePass
    : public kiln::impl::KilnScheduleBase<KilnSchedulePass> {
  using Base::Base;

  void runOnOperation() override {
    func::FuncOp func = getOperation();
    if (func.isExternal())
      return;
    uint64_t bodyBefore = 0, bodyAfter = 0;
    bool changed = false;
    func.walk([&](Block *block) {
      if (block->empty() || !block->back().hasTrait<OpTrait::IsTerminator>())
        return;
      llvm::SmallVector<Operation *> current;
      for (Operation &op : block->without_terminator())
        current.push_back(&op);
      llvm::SmallVector<Operation *> order = greedyOrder(*block);
      uint64_t before = kiln::tensorLivePeak(*block, current);
      uint64_t after = kiln::tensorLivePeak(*block, order);
      if (after < before) {
        Operation *terminator = block->getTerminator();
        for (Operation *op : order)
          op->moveBefore(terminator);
        ++numBlocksReordered;
        changed = true;
      } else {
        after = before;
      }
      if (block->getParent() == &func.getBody()) {
        bodyBefore += before;
        bodyAfter += after;
      }
    });
    numPeakBefore += bodyBefore;
    numPeakAfter += bodyAfter;
    emitRemark(func.getLoc())
        << "kiln-schedule: tensor peak " << bodyBefore << " -> " << bodyAfter
        << " bytes" << (changed ? "" : " (order kept)");
    if (!changed)
      markAllAnalysesPreserved();
  }
};

} // namespace
