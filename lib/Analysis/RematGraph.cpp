//===- RematGraph.cpp - A function as a remat graph and back --------------===//
//
// Part of the Kiln project: an MLIR compiler for training programs.
//
//===----------------------------------------------------------------------===//
//
// The tensor-level memory model of kiln-schedule and kiln-remat, the graph
// that kiln-remat hands to the solver library, and the rebuild of a
// function body from the solver's schedule (see RematGraph.h).
//
//===----------------------------------------------------------------------===//

#include "kiln/Analysis/RematGraph.h"

#include "kiln/Dialect/Kiln/KilnOps.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Builders.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "mlir/Transforms/RegionUtils.h"
#include "llvm/ADT/SetVector.h"

#include <functional>

using namespace mlir;

namespace kiln {

/// Whether every reader of `op`'s results takes elementwise producers into
/// its own loops (FusibleOpInterface::fusesProducers), so `op` needs no
/// buffer of its own once fused.
static bool isFusedIntoEveryReader(Operation *op) {
  return !op->use_empty() && llvm::all_of(op->getUsers(), [](Operation *user) {
    auto fusible = dyn_cast<FusibleOpInterface>(user);
    return fusible && user->getNumRegions() == 0 && fusible.fusesProducers();
  });
}

TensorOpKind classifyTensorOp(Operation *op) {
  if (op->hasTrait<OpTrait::IsTerminator>() || !isMemoryEffectFree(op))
    return TensorOpKind::Barrier;
  if (op->getNumOperands() == 0 && op->getNumRegions() == 0 &&
      op->hasTrait<OpTrait::ConstantLike>())
    return TensorOpKind::Constant;
  // The ops that bufferize to an alias of their input (see the lowering in
  // lib/Conversion/KilnToLinalg/DataMovement.cpp and GradientOps.cpp).
  if (isa<ReshapeOp, SliceOp, StopGradientOp>(op))
    return TensorOpKind::View;
  // A broadcast that code generation fuses into every reader (each computes
  // its elements from the broadcast's input; kiln-cpu-fuse-elementwise
  // fuses element-moving producers into all consumers) never gets a
  // buffer: its readers read its input.
  if (isa<BroadcastOp>(op) && isFusedIntoEveryReader(op))
    return TensorOpKind::View;
  return TensorOpKind::Node;
}

uint64_t staticTensorBytes(Type type) {
  auto tensor = dyn_cast<RankedTensorType>(type);
  if (!tensor || !tensor.hasStaticShape() ||
      !tensor.getElementType().isIntOrIndexOrFloat())
    return 0;
  unsigned bits = tensor.getElementType().isIndex()
                      ? 64
                      : tensor.getElementType().getIntOrFloatBitWidth();
  return static_cast<uint64_t>(tensor.getNumElements()) * ((bits + 7) / 8);
}

/// Whether `value` is a result of its function: bufferization then writes
/// it into the caller's out-param, not into a transient buffer.
static bool isFunctionResult(Value value) {
  return llvm::any_of(value.getUsers(), [](Operation *user) {
    return isa<func::ReturnOp>(user);
  });
}

static uint64_t resultBytes(OpResult result) {
  if (classifyTensorOp(result.getOwner()) != TensorOpKind::Node ||
      isFunctionResult(result))
    return 0;
  return staticTensorBytes(result.getType());
}

uint64_t transientBytes(Value value) {
  auto result = dyn_cast<OpResult>(value);
  return result ? resultBytes(result) : 0;
}

uint64_t allocatedBytes(Operation *op) {
  uint64_t bytes = 0;
  for (OpResult result : op->getResults())
    bytes += resultBytes(result);
  return bytes;
}

Value viewRoot(Value value) {
  while (Operation *def = value.getDefiningOp()) {
    if (classifyTensorOp(def) != TensorOpKind::View)
      break;
    value = def->getOperand(0);
  }
  return value;
}

uint64_t opFlops(Operation *op) {
  if (auto costed = dyn_cast<CostOpInterface>(op)) {
    std::optional<int64_t> flops = costed.getFlops();
    return flops && *flops > 0 ? static_cast<uint64_t>(*flops) : 0;
  }
  uint64_t total = 0;
  for (Region &region : op->getRegions())
    for (Block &block : region)
      for (Operation &nested : block)
        total += opFlops(&nested);
  return total;
}

/// The values of `block` (results of its ops) that `op` reads, through
/// operands or inside its regions, with views resolved to their roots.
static void collectRootsRead(Operation *op, Block &block,
                             llvm::SetVector<Value> &roots) {
  auto add = [&](Value v) {
    Value root = viewRoot(v);
    Operation *def = root.getDefiningOp();
    if (def && def->getBlock() == &block)
      roots.insert(root);
  };
  for (Value v : op->getOperands())
    add(v);
  if (op->getNumRegions()) {
    llvm::SetVector<Value> captured;
    getUsedValuesDefinedAbove(op->getRegions(), captured);
    for (Value v : captured)
      add(v);
  }
}

uint64_t tensorLivePeak(Block &block, ArrayRef<Operation *> order,
                        const ScratchBytesFn &scratch) {
  uint64_t peak = 0;
  for (uint64_t bytes : tensorLiveTimeline(block, order, scratch))
    peak = std::max(peak, bytes);
  return peak;
}

std::vector<uint64_t> tensorLiveTimeline(Block &block,
                                         ArrayRef<Operation *> order,
                                         const ScratchBytesFn &scratch) {
  // Position of each op in `order`, and the last position that reads each
  // root value; values the terminator reads live to the end.
  llvm::DenseMap<Operation *, unsigned> position;
  for (auto [i, op] : llvm::enumerate(order))
    position[op] = i;
  llvm::DenseMap<Value, unsigned> lastUse;
  constexpr unsigned kEnd = ~0u;
  for (Operation &op : block) {
    llvm::SetVector<Value> roots;
    collectRootsRead(&op, block, roots);
    unsigned at = op.hasTrait<OpTrait::IsTerminator>() ? kEnd : position[&op];
    for (Value root : roots) {
      auto [it, inserted] = lastUse.try_emplace(root, at);
      if (!inserted && (at == kEnd || (it->second != kEnd && at > it->second)))
        it->second = at;
    }
  }
  // Frees scheduled at each position.
  llvm::SmallVector<uint64_t> freedAt(order.size(), 0);
  for (auto [root, at] : lastUse)
    if (at != kEnd)
      freedAt[at] += resultBytes(cast<OpResult>(root));
  uint64_t live = 0;
  std::vector<uint64_t> timeline;
  timeline.reserve(order.size());
  for (auto [i, op] : llvm::enumerate(order)) {
    for (OpResult result : op->getResults()) {
      // A result that nobody reads is freed right after it is made.
      uint64_t bytes = resultBytes(result);
      live += bytes;
      if (!lastUse.count(result))
        freedAt[i] += bytes;
    }
    uint64_t working = live;
    if (scratch && classifyTensorOp(op) == TensorOpKind::Node)
      working += scratch(op);
    timeline.push_back(working);
    live -= freedAt[i];
  }
  return timeline;
}

FailureOr<FunctionRematGraph> buildRematGraph(func::FuncOp func,
                                              const ScratchBytesFn &scratch) {
  if (!func.getBody().hasOneBlock())
    return func.emitError("kiln-remat: the function body must be one block");
  Block &body = func.getBody().front();
  FunctionRematGraph rg;
  for (Operation &op : body.without_terminator()) {
    switch (classifyTensorOp(&op)) {
    case TensorOpKind::Barrier:
      return op.emitError("kiln-remat: cannot move '")
             << op.getName()
             << "': it has side effects (the pass reorders and recomputes "
                "side-effect-free ops only)";
    case TensorOpKind::Constant:
    case TensorOpKind::View:
      continue;
    case TensorOpKind::Node:
      break;
    }
    for (Type type : op.getResultTypes())
      if (auto tensor = dyn_cast<RankedTensorType>(type);
          !tensor || !tensor.hasStaticShape())
        return op.emitError("kiln-remat: result of type ")
               << type << " has no static size (static tensors only)";
    if (op.getNumRegions()) {
      // A copy would need its nested uses rewired too; the kiln ops with
      // regions (fusion groups) take every input as an operand.
      llvm::SetVector<Value> captured;
      getUsedValuesDefinedAbove(op.getRegions(), captured);
      if (!captured.empty())
        return op.emitError("kiln-remat: '")
               << op.getName()
               << "' reads values of the function inside its regions; "
                  "cannot recompute it";
    }
    if (uint64_t extra = scratch ? scratch(&op) : 0) {
      // The scratch node: cheap to "compute" (it has no IR), so the solver
      // places it right before its op rather than keeping it.
      rg.nodeOps.push_back(nullptr);
      rg.graph.bytes.push_back(extra);
      rg.graph.cost.push_back(1);
      rg.flops.push_back(0);
    }
    int id = rg.nodeOps.size();
    rg.nodeIds[&op] = id;
    rg.nodeOps.push_back(&op);
    uint64_t bytes = allocatedBytes(&op), flops = opFlops(&op);
    uint64_t elements = 0;
    for (Type type : op.getResultTypes())
      elements += cast<RankedTensorType>(type).getNumElements();
    rg.graph.bytes.push_back(bytes);
    rg.graph.cost.push_back(flops + elements);
    rg.flops.push_back(flops);
    rg.totalFlops += flops;
  }
  rg.graph.preds.resize(rg.nodeOps.size());
  for (auto [id, op] : llvm::enumerate(rg.nodeOps)) {
    if (!op)
      continue;
    llvm::SetVector<int> preds;
    if (id > 0 && !rg.nodeOps[id - 1])
      preds.insert(id - 1); // Its scratch node.
    llvm::SetVector<Value> roots;
    collectRootsRead(op, body, roots);
    for (Value root : roots)
      if (auto it = rg.nodeIds.find(root.getDefiningOp());
          it != rg.nodeIds.end() && it->second != static_cast<int>(id))
        preds.insert(it->second);
    rg.graph.preds[id].assign(preds.begin(), preds.end());
  }
  llvm::SetVector<int> keep;
  for (Value v : body.getTerminator()->getOperands())
    if (Operation *def = viewRoot(v).getDefiningOp())
      if (auto it = rg.nodeIds.find(def); it != rg.nodeIds.end())
        keep.insert(it->second);
  rg.graph.keepAtEnd.assign(keep.begin(), keep.end());
  return rg;
}

FailureOr<RebuildResult>
rebuildFromSchedule(func::FuncOp func, const FunctionRematGraph &rg,
                    const solvers::RematSchedule &schedule) {
  Block &body = func.getBody().front();
  Operation *terminator = body.getTerminator();
  int n = rg.nodeOps.size();

  // Constants first, in their order: any op may now come before them.
  // Each op's kind is taken once, before anything moves: whether a
  // broadcast is a view depends on its readers, which the rebuild rewires.
  llvm::SmallVector<Operation *> constants, views;
  llvm::DenseMap<Operation *, TensorOpKind> kindOf;
  for (Operation &op : body.without_terminator()) {
    TensorOpKind kind = classifyTensorOp(&op);
    kindOf[&op] = kind;
    if (kind == TensorOpKind::Constant)
      constants.push_back(&op);
    else if (kind == TensorOpKind::View)
      views.push_back(&op);
  }
  for (Operation *op : llvm::reverse(constants))
    op->moveBefore(&body, body.begin());

  // The operands as the original program wrote them; the ops are rewired
  // in place as they move, so read them before.
  llvm::SmallVector<llvm::SmallVector<Value>> originalOperands(n);
  for (int i = 0; i < n; ++i)
    if (rg.nodeOps[i])
      originalOperands[i].assign(rg.nodeOps[i]->operand_begin(),
                                 rg.nodeOps[i]->operand_end());
  llvm::SmallVector<Value> returned(terminator->getOperands());
  llvm::DenseMap<Operation *, Value> viewOperand;
  for (Operation *view : views)
    viewOperand[view] = view->getOperand(0);

  llvm::SmallVector<Operation *> current(n, nullptr);
  llvm::SmallVector<bool> resident(n, false);
  llvm::SmallVector<unsigned> computes(n, 0);
  llvm::DenseSet<Operation *> placedViews;
  llvm::DenseMap<std::pair<Operation *, Value>, Value> viewCopies;
  OpBuilder builder(terminator);
  RebuildResult result;
  bool broken = false;

  // The value that stands for original `v` at the current point.
  std::function<Value(Value)> resolve = [&](Value v) -> Value {
    Operation *def = v.getDefiningOp();
    if (!def || def->getBlock() != &body)
      return v;
    auto kind = kindOf.find(def);
    switch (kind == kindOf.end() ? classifyTensorOp(def) : kind->second) {
    case TensorOpKind::Constant:
    case TensorOpKind::Barrier:
      return v;
    case TensorOpKind::Node: {
      auto it = rg.nodeIds.find(def);
      if (it == rg.nodeIds.end() || !resident[it->second]) {
        broken = true;
        return v;
      }
      return current[it->second]->getResult(
          cast<OpResult>(v).getResultNumber());
    }
    case TensorOpKind::View: {
      Value source = resolve(viewOperand.lookup(def));
      auto key = std::make_pair(def, source);
      if (Value copy = viewCopies.lookup(key))
        return copy;
      Value copy;
      if (source == viewOperand.lookup(def) && placedViews.insert(def).second) {
        def->moveBefore(terminator);
        copy = v;
      } else {
        Operation *clone = builder.clone(*def);
        clone->setOperand(0, source);
        copy = clone->getResult(0);
      }
      viewCopies[key] = copy;
      return copy;
    }
    }
    return v;
  };

  for (const solvers::RematStep &step : schedule.steps) {
    int id = step.node;
    if (!rg.nodeOps[id])
      continue; // A scratch node: the lowering allocates it.
    if (step.kind == solvers::StepKind::Free) {
      resident[id] = false;
      continue;
    }
    Operation *original = rg.nodeOps[id];
    // Operands first: resolving may place view copies, which must come
    // before the op.
    llvm::SmallVector<Value> operands;
    for (Value v : originalOperands[id])
      operands.push_back(resolve(v));
    Operation *op;
    if (computes[id]++ == 0) {
      op = original;
      op->moveBefore(terminator);
    } else {
      op = builder.clone(*original);
      op->setAttr(kRecomputedAttr,
                  builder.getI64IntegerAttr(computes[id] - 1));
      ++result.numClones;
      result.flopsAdded += rg.flops[id];
    }
    op->setOperands(operands);
    current[id] = op;
    resident[id] = true;
  }
  for (auto [i, v] : llvm::enumerate(returned))
    terminator->setOperand(i, resolve(v));
  if (broken)
    return func.emitError("kiln-remat: internal error: the schedule reads a "
                          "value that it freed");

  // Originals that were never placed must be dead (the schedule skipped
  // them): drop their operands first so that chains of them can go in any
  // order, then nothing placed may still read them.
  llvm::SmallVector<Operation *> unplaced;
  for (int i = 0; i < n; ++i)
    if (!computes[i] && rg.nodeOps[i])
      unplaced.push_back(rg.nodeOps[i]);
  for (Operation *view : views)
    if (!placedViews.count(view))
      unplaced.push_back(view);
  for (Operation *op : unplaced)
    op->dropAllReferences();
  for (Operation *op : unplaced)
    if (!op->use_empty())
      return op->emitError(
          "kiln-remat: internal error: the schedule never computes this op");
  for (Operation *op : unplaced)
    op->erase();
  return result;
}

} // namespace kiln
