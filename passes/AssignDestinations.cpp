//===- AssignDestinations.cpp - Lean destinations before bufferization ----===//
//
// Part of the Kiln project: an MLIR compiler for training programs.
//
//===----------------------------------------------------------------------===//
//
// The kiln-assign-destinations pass. One-shot bufferization allocates a
// buffer where each `tensor.empty` stands and keeps it alive until the last
// reader of any value written into it, so the choice of destination
// tensors decides the step's peak memory:
//
//   %e = tensor.empty()               // shared by CSE: one buffer for all,
//   %a = linalg.matmul outs(%e)       // alive from %a to the last use of
//   %b = linalg.generic outs(%e)      // anything written into it
//
// Each use of a shared `tensor.empty` (and each writer into a shared fill of
// one) gets its own, right before its user;
// and an elementwise op writes into an input that dies there, so it
// updates that buffer in place:
//
//   %s = linalg.generic ins(%a, %bias) outs(%a)   // nothing reads %a later
//
//===----------------------------------------------------------------------===//

#include "kiln/Passes/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/IRMapping.h"

#include "llvm/ADT/SmallPtrSet.h"

namespace kiln {
#define GEN_PASS_DEF_KILNASSIGNDESTINATIONS
#include "kiln/Dialect/Kiln/Passes.h.inc"
} // namespace kiln

using namespace mlir;

namespace {

/// Gives every user of `empty` but the first its own copy, created right
/// before that user; the original moves before its remaining user. Returns
/// the number of copies made.
unsigned splitSharedEmpty(tensor::EmptyOp empty) {
  SmallVector<OpOperand *> uses;
  for (OpOperand &use : empty->getUses())
    uses.push_back(&use);
  if (uses.empty())
    return 0;
  OpBuilder builder(empty.getContext());
  for (OpOperand *use : llvm::drop_begin(uses)) {
    builder.setInsertionPoint(use->getOwner());
    use->set(builder.clone(*empty)->getResult(0));
  }
  Operation *user = uses.front()->getOwner();
  // Dynamic sizes must still dominate the moved op; in the same block they
  // do when they are defined before the user, which holds when they are
  // defined before the empty, which is before its user.
  if (user->getBlock() == empty->getBlock())
    empty->moveBefore(user);
  return uses.size() - 1;
}

/// Whether `op` is the last reader of `value` in its block and every
/// earlier reader only reads it (as an input of a destination-style op,
/// whose results do not alias it), so writing into it at `op` clobbers
/// nothing that is read later.
bool isLastPlainReader(Value value, Operation *op) {
  for (OpOperand &use : value.getUses()) {
    Operation *user = use.getOwner();
    if (user == op)
      continue;
    auto dps = dyn_cast<DestinationStyleOpInterface>(user);
    if (!dps || user->getBlock() != op->getBlock() ||
        !user->isBeforeInBlock(op) || dps.isDpsInit(&use))
      return false;
  }
  return true;
}

/// Gives every op that writes into a shared zero (or other scalar) fill of a
/// `tensor.empty` its own fill, right before it: CSE merges equal fills,
/// and a merged fill read by one op after another wrote into it forces
/// bufferization to keep a filled buffer alive (and copy it) from the
/// first user to the last. Returns the number of copies made.
unsigned splitSharedFill(linalg::FillOp fill) {
  Value filled = fill.getResult(0);
  // The destination: a tensor.empty, or a reshape of one (canonicalization
  // moves a reshape of a fill onto its destination: a zero accumulator of
  // a multi-head matmul fills a 4x32x2x32 view of a 4x32x64 empty).
  SmallVector<Operation *> chain; // reshapes, then the empty
  Value dest = fill.getOutputs()[0];
  while (auto reshape = dest.getDefiningOp()) {
    if (!isa<tensor::ExpandShapeOp, tensor::CollapseShapeOp>(reshape))
      break;
    chain.push_back(reshape);
    dest = reshape->getOperand(0);
  }
  auto empty = dest.getDefiningOp<tensor::EmptyOp>();
  if (!empty || filled.hasOneUse())
    return 0;
  chain.push_back(empty);
  SmallVector<OpOperand *> inits;
  for (OpOperand &use : filled.getUses()) {
    auto dps = dyn_cast<DestinationStyleOpInterface>(use.getOwner());
    if (dps && dps.isDpsInit(&use))
      inits.push_back(&use);
  }
  OpBuilder builder(fill.getContext());
  unsigned copies = 0;
  // Every writer gets a copy right before it (the original may stand far
  // from all of them); readers keep the original, which goes when unused.
  for (OpOperand *init : inits) {
    builder.setInsertionPoint(init->getOwner());
    IRMapping mapping;
    for (Operation *op : llvm::reverse(chain))
      builder.clone(*op, mapping);
    init->set(builder.clone(*fill, mapping)->getResult(0));
    ++copies;
  }
  if (filled.use_empty()) {
    fill->erase();
    for (Operation *op : chain) // reshapes first, then the empty
      if (op->use_empty())
        op->erase();
  }
  return copies;
}

/// An input of `op` that can take the place of output `init`: same type and
/// indexing map, not read after `op`, and produced in the same block by a
/// destination-style op, whose result owns its buffer (not a function
/// argument, which is the caller's, a constant, or a view that may alias a
/// value read later, where bufferization would have to copy).
OpOperand *dyingInputFor(linalg::GenericOp op, OpOperand &init,
                         const llvm::SmallPtrSetImpl<Value> &taken) {
  AffineMap outputMap = op.getMatchingIndexingMap(&init);
  for (OpOperand *input : op.getDpsInputOperands()) {
    Value value = input->get();
    if (value.getType() != init.get().getType() || taken.contains(value) ||
        llvm::count(op->getOperands(), value) != 1 ||
        !isLastPlainReader(value, op) ||
        op.getMatchingIndexingMap(input) != outputMap)
      continue;
    Operation *producer = value.getDefiningOp();
    if (!producer || producer->getBlock() != op->getBlock() ||
        !isa<DestinationStyleOpInterface>(producer))
      continue;
    return input;
  }
  return nullptr;
}

/// Redirects the outputs of an all-parallel generic whose body ignores
/// their old contents into dying inputs. Returns how many moved.
unsigned reuseDyingInputs(linalg::GenericOp op) {
  if (!op.hasPureTensorSemantics() ||
      op.getNumParallelLoops() != op.getNumLoops())
    return 0;
  unsigned reused = 0;
  llvm::SmallPtrSet<Value, 4> taken;
  for (OpOperand &init : op.getDpsInitsMutable()) {
    if (!init.get().getDefiningOp<tensor::EmptyOp>() ||
        op.payloadUsesValueFromOperand(&init))
      continue;
    if (OpOperand *input = dyingInputFor(op, init, taken)) {
      taken.insert(input->get());
      init.set(input->get());
      ++reused;
    }
  }
  return reused;
}

struct KilnAssignDestinationsPass
    : public kiln::impl::KilnAssignDestinationsBase<
          KilnAssignDestinationsPass> {
  using Base::Base;

  void runOnOperation() override {
    func::FuncOp func = getOperation();
    // Inputs first: a reused input frees its op's tensor.empty use, which
    // then needs no private copy.
    func.walk(
        [&](linalg::GenericOp op) { numReusedInputs += reuseDyingInputs(op); });
    SmallVector<linalg::FillOp> fills;
    func.walk([&](linalg::FillOp fill) { fills.push_back(fill); });
    for (linalg::FillOp fill : fills)
      numSplitFills += splitSharedFill(fill);
    SmallVector<tensor::EmptyOp> empties;
    func.walk([&](tensor::EmptyOp empty) { empties.push_back(empty); });
    for (tensor::EmptyOp empty : empties) {
      if (empty->use_empty()) {
        empty->erase();
        continue;
      }
      numSplitEmpties += splitSharedEmpty(empty);
    }
  }
};

} // namespace
