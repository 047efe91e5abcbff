//===- LoopAccumulators.cpp - Vector accumulators kept in registers -------===//
//
// Part of the Kiln project: an MLIR compiler for training programs.
//
//===----------------------------------------------------------------------===//

#include "kiln/Codegen/CPU/LoopAccumulators.h"

#include "mlir/Dialect/SCF/Utils/Utils.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "mlir/Interfaces/ViewLikeInterface.h"
#include "mlir/Transforms/LoopInvariantCodeMotionUtils.h"

using namespace mlir;

namespace kiln {
namespace cpu {
namespace {

/// The buffer a memref value views (through subviews, casts, reshapes).
Value underlyingBuffer(Value memref) {
  while (auto view = memref.getDefiningOp<ViewLikeOpInterface>())
    memref = view.getViewSource();
  return memref;
}

/// Whether `buffer` is a fresh allocation: no other buffer can alias it.
bool isFreshAllocation(Value buffer) {
  auto effects = buffer.getDefiningOp<MemoryEffectOpInterface>();
  return effects &&
         effects.getEffectOnValue<MemoryEffects::Allocate>(buffer).has_value();
}

/// One accumulator: the load and the store of one buffer position.
struct Accumulator {
  vector::LoadOp load;
  vector::StoreOp store;
};

/// The static loops directly in `loop`'s body with at most `maxUnroll`
/// iterations that store vectors, fully unrolled.
void unrollShortInnerLoops(scf::ForOp loop, int64_t maxUnroll) {
  SmallVector<scf::ForOp> inner;
  for (auto nested : loop.getBody()->getOps<scf::ForOp>()) {
    std::optional<APInt> trips = nested.getStaticTripCount();
    bool storesVectors = !nested.getBody()->getOps<vector::StoreOp>().empty();
    if (trips && trips->getZExtValue() <= uint64_t(maxUnroll) && storesVectors)
      inner.push_back(nested);
  }
  for (scf::ForOp nested : inner)
    (void)loopUnrollFull(nested);
}

/// The accumulators of `loop`'s body, or none when an op with unknown
/// effects could touch any buffer.
SmallVector<Accumulator> findAccumulators(scf::ForOp loop) {
  bool unknownEffects = false;
  // Buffer -> the ops of the loop that use it (any depth).
  llvm::DenseMap<Value, SmallVector<Operation *>> users;
  loop.getBody()->walk([&](Operation *op) {
    if (!isMemoryEffectFree(op) && !isa<MemoryEffectOpInterface>(op) &&
        !op->hasTrait<OpTrait::HasRecursiveMemoryEffects>())
      unknownEffects = true;
    for (Value operand : op->getOperands())
      if (isa<MemRefType>(operand.getType()))
        users[underlyingBuffer(operand)].push_back(op);
  });
  if (unknownEffects)
    return {};

  // (base, indices) -> its load and store, in body order.
  using Position = std::pair<Value, SmallVector<Value>>;
  SmallVector<std::pair<Position, Accumulator>> candidates;
  auto invariant = [&](ValueRange values) {
    return llvm::all_of(values,
                        [&](Value v) { return loop.isDefinedOutsideOfLoop(v); });
  };
  for (Operation &op : *loop.getBody()) {
    if (auto load = dyn_cast<vector::LoadOp>(op)) {
      if (invariant(load.getBase()) && invariant(load.getIndices()))
        candidates.push_back(
            {{load.getBase(), SmallVector<Value>(load.getIndices())},
             {load, nullptr}});
      continue;
    }
    auto store = dyn_cast<vector::StoreOp>(op);
    if (!store)
      continue;
    for (auto &[position, acc] : candidates)
      if (!acc.store && position.first == store.getBase() &&
          llvm::equal(position.second, store.getIndices()) &&
          store.getValueToStore().getType() == acc.load.getType()) {
        acc.store = store;
        break;
      }
  }

  SmallVector<Accumulator> found;
  for (auto &[position, acc] : candidates) {
    if (!acc.store)
      continue;
    Value buffer = underlyingBuffer(position.first);
    if (!isFreshAllocation(buffer))
      continue;
    // Every use of the buffer in the loop is one of the complete pairs
    // (no other position read or written, no view escaping elsewhere).
    bool onlyPairs = llvm::all_of(users[buffer], [&](Operation *user) {
      return llvm::any_of(candidates, [&](auto &c) {
        return c.second.store &&
               (c.second.load == user || c.second.store == user);
      });
    });
    if (onlyPairs)
      found.push_back(acc);
  }
  return found;
}

} // namespace

unsigned keepVectorAccumulatorsInRegisters(RewriterBase &rewriter,
                                           scf::ForOp &loop,
                                           int64_t maxUnroll) {
  unrollShortInnerLoops(loop, maxUnroll);
  // The unrolled positions (iv + k * step) become loop-invariant values.
  moveLoopInvariantCode(cast<LoopLikeOpInterface>(loop.getOperation()));
  SmallVector<Accumulator> accumulators = findAccumulators(loop);
  if (accumulators.empty())
    return 0;

  rewriter.setInsertionPoint(loop);
  SmallVector<Value> inits;
  for (Accumulator &acc : accumulators)
    inits.push_back(rewriter.clone(*acc.load)->getResult(0));
  FailureOr<LoopLikeOpInterface> widened =
      cast<LoopLikeOpInterface>(loop.getOperation())
          .replaceWithAdditionalYields(
              rewriter, inits, /*replaceInitOperandUsesInLoop=*/false,
              [&](OpBuilder &, Location, ArrayRef<BlockArgument>) {
                SmallVector<Value> yielded;
                for (Accumulator &acc : accumulators)
                  yielded.push_back(acc.store.getValueToStore());
                return yielded;
              });
  if (failed(widened))
    return 0;
  auto newLoop = cast<scf::ForOp>(widened->getOperation());
  unsigned firstNew = newLoop.getNumRegionIterArgs() - accumulators.size();
  rewriter.setInsertionPointAfter(newLoop);
  for (auto [i, acc] : llvm::enumerate(accumulators)) {
    rewriter.replaceOp(acc.load, newLoop.getRegionIterArg(firstNew + i));
    vector::StoreOp::create(rewriter, acc.store.getLoc(),
                            newLoop.getResult(firstNew + i),
                            acc.store.getBase(), acc.store.getIndices());
    rewriter.eraseOp(acc.store);
  }
  loop = newLoop;
  return accumulators.size();
}

} // namespace cpu
} // namespace kiln
