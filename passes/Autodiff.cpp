//===- Autodiff.cpp - Reverse-mode differentiation of kiln programs -------===//
//
// Part of the Kiln project: an MLIR compiler for training programs.
//
//===----------------------------------------------------------------------===//
//
// The kiln-autodiff pass expands every `kiln.gradient %y wrt %xs` request:
//   1. active values: those computed (in the request's block, before it)
//      from a wrt value through float ops; kiln.stop_gradient, constants and
//      integer or boolean values cut the flow;
//   2. the path: active ops that `y` depends on (backward slice of `y`
//      intersected with the forward slice of the wrt values);
//   3. the sweep: seed ones shaped like `y`, visit the path in reverse
//      block order (a reverse topological order) and let each op's
//      DifferentiableOpInterface rule emit its operand gradients, adding up
//      the gradients of values with several uses (kiln.add). Gradients are
//      kept per value, so if `y` is one result of a multi-result op only
//      that result is seeded (the rule sees null for the others);
//   4. the request is replaced by the accumulated gradients (a splat zero
//      for a wrt value that `y` does not depend on) and erased; backward ops
//      that ended up unused (e.g. the gradient of a constant operand) are
//      erased too.
// The pass never switches on op kinds: the rules live on the ops
// (lib/Dialect/Kiln/KilnGradients*.cpp). Counts go to the statistics and,
// because Debian's LLVM compiles statistics out, to a remark.
//
//===----------------------------------------------------------------------===//

#include "kiln/Passes/Passes.h"

#include "kiln/Dialect/Kiln/KilnOps.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "llvm/ADT/DenseSet.h"

namespace kiln {
#define GEN_PASS_DEF_KILNAUTODIFF
#include "kiln/Dialect/Kiln/Passes.h.inc"
} // namespace kiln

using namespace mlir;
using namespace kiln;

namespace {

/// Only float tensors carry gradients.
bool carriesGradient(Value v) {
  auto type = dyn_cast<RankedTensorType>(v.getType());
  return type && isa<FloatType>(type.getElementType());
}

/// A tensor of `type` holding `value` everywhere (a broadcast rank-0
/// constant when the shape is dynamic).
Value splat(OpBuilder &b, Location loc, Type type, double value) {
  auto tensor = cast<RankedTensorType>(type);
  auto scalar = FloatAttr::get(tensor.getElementType(), value);
  if (tensor.hasStaticShape())
    return ConstantOp::create(b, loc, DenseElementsAttr::get(tensor, scalar));
  auto rank0 = RankedTensorType::get({}, tensor.getElementType());
  Value c = ConstantOp::create(b, loc, DenseElementsAttr::get(rank0, scalar));
  return BroadcastOp::create(b, loc, tensor, c);
}

/// Whether `op` or an op nested in its regions reads an active value.
bool readsActive(Operation &op, const llvm::DenseSet<Value> &active) {
  if (llvm::any_of(op.getOperands(),
                   [&](Value v) { return active.contains(v); }))
    return true;
  if (op.getNumRegions() == 0)
    return false;
  bool found = false;
  op.walk([&](Operation *nested) {
    if (nested != &op && llvm::any_of(nested->getOperands(), [&](Value v) {
          return active.contains(v);
        }))
      found = true;
  });
  return found;
}

struct KilnAutodiffPass : kiln::impl::KilnAutodiffBase<KilnAutodiffPass> {
  using Base::Base;

  void runOnOperation() override {
    SmallVector<GradientOp> requests;
    getOperation().walk([&](GradientOp op) { requests.push_back(op); });
    if (requests.empty())
      return markAllAnalysesPreserved();
    int64_t rules = 0;
    // In program order: a later request may differentiate through the
    // expansion of an earlier one (second derivatives).
    for (GradientOp request : requests)
      if (failed(expand(request, rules)))
        return signalPassFailure();
    numRequests += requests.size();
    numRulesApplied += rules;
    // At the function's location, not on the op: a remark on the op would
    // print the whole function after it.
    emitRemark(getOperation().getLoc())
        << "autodiff: " << requests.size() << " requests, " << rules
        << " rules applied";
  }

  LogicalResult expand(GradientOp request, int64_t &rules);
};

LogicalResult KilnAutodiffPass::expand(GradientOp request, int64_t &rules) {
  Block *block = request->getBlock();
  Value of = request.getOf();

  // 1. Active values, in block order (SSA order is a topological order).
  llvm::DenseSet<Value> active;
  for (Value x : request.getWrt())
    if (carriesGradient(x))
      active.insert(x);
  for (Operation &op : *block) {
    if (&op == request.getOperation())
      break;
    if (isa<StopGradientOp>(op) || !readsActive(op, active))
      continue;
    for (Value r : op.getResults())
      if (carriesGradient(r))
        active.insert(r);
  }

  // 2. The path: active ops of this block that `of` depends on.
  llvm::DenseSet<Operation *> onPath;
  SmallVector<Value> worklist;
  if (active.contains(of))
    worklist.push_back(of);
  while (!worklist.empty()) {
    Value v = worklist.pop_back_val();
    Operation *def = v.getDefiningOp();
    if (!def || def->getBlock() != block || !onPath.insert(def).second)
      continue;
    for (Value operand : def->getOperands())
      if (active.contains(operand))
        worklist.push_back(operand);
    // Values read inside the op's regions (no kiln op has regions; such an
    // op is reported below for lack of a rule).
    def->walk([&](Operation *nested) {
      if (nested != def)
        for (Value operand : nested->getOperands())
          if (active.contains(operand))
            worklist.push_back(operand);
    });
  }

  // 3. The reverse sweep, inserting before the request.
  OpBuilder b(request);
  Operation *before = request->getPrevNode();
  llvm::DenseMap<Value, Value> adjoint;
  if (active.contains(of))
    adjoint[of] = splat(b, request.getLoc(), of.getType(), 1.0);
  SmallVector<Operation *> path;
  for (Operation &op : *block) {
    if (&op == request.getOperation())
      break;
    if (onPath.contains(&op))
      path.push_back(&op);
  }
  for (Operation *op : llvm::reverse(path)) {
    SmallVector<Value> resultGrads;
    for (Value r : op->getResults())
      resultGrads.push_back(adjoint.lookup(r));
    if (llvm::all_of(resultGrads, [](Value g) { return !g; }))
      continue; // Only gradient-free uses (e.g. floor) reached it.
    auto differentiable = dyn_cast<DifferentiableOpInterface>(op);
    if (!differentiable) {
      InFlightDiagnostic diag =
          op->emitOpError("has no gradient rule, but the requested gradient "
                          "flows through it");
      diag.attachNote(request.getLoc()) << "gradient requested here";
      return diag;
    }
    SmallVector<Value> operandGrads;
    // A failing rule reports why (e.g. a dynamic shape it cannot handle).
    if (failed(differentiable.buildGradients(b, resultGrads, operandGrads)))
      return failure();
    ++rules;
    if (operandGrads.size() != op->getNumOperands())
      return op->emitOpError("gradient rule returned ")
             << operandGrads.size() << " gradients for "
             << op->getNumOperands() << " operands";
    for (auto [operand, grad] : llvm::zip(op->getOperands(), operandGrads)) {
      if (!grad || !active.contains(operand))
        continue;
      if (grad.getType() != operand.getType())
        return op->emitOpError("gradient rule produced ")
               << grad.getType() << " for an operand of type "
               << operand.getType();
      Value &sum = adjoint[operand];
      sum = sum ? AddOp::create(b, op->getLoc(), sum, grad).getResult() : grad;
    }
  }

  // 4. Replace the request; drop the backward ops nobody uses.
  SmallVector<Value> results;
  for (Value x : request.getWrt()) {
    Value g = adjoint.lookup(x);
    results.push_back(g ? g : splat(b, request.getLoc(), x.getType(), 0.0));
  }
  request->replaceAllUsesWith(results);
  for (Operation *op = request->getPrevNode(); op && op != before;) {
    Operation *prev = op->getPrevNode();
    if (isOpTriviallyDead(op))
      op->erase();
    op = prev;
  }
  request->erase();
  return success();
}

} // namespace
