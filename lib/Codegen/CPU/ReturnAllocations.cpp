//===- ReturnAllocations.cpp - Return allocations, not views of them ------===//
//
// Part of the Kiln project: an MLIR compiler for training programs.
//
//===----------------------------------------------------------------------===//
//
// The kiln-cpu-return-allocations pass (dialects/Conversion/Passes.td). On
// buffers, before buffer-results-to-out-params: that pass writes a returned
// allocation's out-param in place but copies anything else into it. The
// tensor-level code generation returns reshapes of allocations (a GEMM
// kernel's C is computed as [M, N/nr, nr] and collapsed back; a bias
// gradient reduced as [4, 64] and returned as [256]); here they become the
// allocations themselves.
//
//===----------------------------------------------------------------------===//

#include "kiln/Conversion/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/IR/Builders.h"

#include "llvm/ADT/DenseMap.h"

namespace kiln {
#define GEN_PASS_DEF_KILNCPURETURNALLOCATIONS
#include "kiln/Dialect/Conversion/Passes.h.inc"
} // namespace kiln

using namespace mlir;

namespace {

/// A static allocation with the identity layout, and the reshapes (outermost
/// first) that a returned value sees it through.
struct ReshapedAllocation {
  memref::AllocOp alloc;
  SmallVector<Operation *> reshapes;
};

bool isPlainStatic(Type type) {
  auto memref = dyn_cast<MemRefType>(type);
  return memref && memref.hasStaticShape() && memref.getLayout().isIdentity();
}

/// The allocation `value` is (through collapse/expand_shape ops), if any.
std::optional<ReshapedAllocation> reshapedAllocation(Value value) {
  ReshapedAllocation found;
  while (Operation *def = value.getDefiningOp()) {
    if (auto alloc = dyn_cast<memref::AllocOp>(def)) {
      if (!isPlainStatic(alloc.getType()))
        return std::nullopt;
      found.alloc = alloc;
      return found;
    }
    if (!isa<memref::CollapseShapeOp, memref::ExpandShapeOp>(def))
      return std::nullopt;
    found.reshapes.push_back(def);
    value = def->getOperand(0);
  }
  return std::nullopt;
}

/// Allocates `alloc`'s buffer in `type` (the shape that `reshape`, a single
/// collapse or expand of it, gives) and makes `alloc`'s users see it
/// through the inverse reshape; returns the new allocation.
Value allocateAs(OpBuilder &b, memref::AllocOp alloc, Operation *reshape,
                 MemRefType type) {
  b.setInsertionPoint(alloc);
  Location loc = alloc.getLoc();
  auto reshaped = memref::AllocOp::create(b, loc, type, ValueRange{},
                                          alloc.getAlignmentAttr());
  Value view;
  if (auto collapse = dyn_cast<memref::CollapseShapeOp>(reshape))
    view = memref::ExpandShapeOp::create(b, loc, alloc.getType(), reshaped,
                                         collapse.getReassociationIndices());
  else
    view = memref::CollapseShapeOp::create(
        b, loc, alloc.getType(), reshaped,
        cast<memref::ExpandShapeOp>(reshape).getReassociationIndices());
  alloc.getResult().replaceAllUsesWith(view);
  alloc.erase();
  return reshaped;
}

class ReturnAllocationsPass
    : public kiln::impl::KilnCPUReturnAllocationsBase<ReturnAllocationsPass> {
public:
  using KilnCPUReturnAllocationsBase::KilnCPUReturnAllocationsBase;

  void runOnOperation() override {
    OpBuilder builder(&getContext());
    getOperation().walk([&](func::ReturnOp ret) {
      // How often each allocation is returned, directly or through views:
      // out-param conversion cannot write one allocation into two
      // out-params.
      llvm::DenseMap<Operation *, int> timesReturned;
      SmallVector<std::optional<ReshapedAllocation>> found;
      for (Value operand : ret.getOperands()) {
        found.push_back(reshapedAllocation(operand));
        if (found.back())
          ++timesReturned[found.back()->alloc];
      }
      for (auto [i, f] : llvm::enumerate(found)) {
        if (!f || f->reshapes.empty() || timesReturned[f->alloc] != 1)
          continue;
        Type returned = ret.getOperand(i).getType();
        if (!isPlainStatic(returned))
          continue;
        Value replacement;
        if (returned == f->alloc.getType())
          replacement = f->alloc; // The views cancel out.
        else if (f->reshapes.size() == 1)
          replacement = allocateAs(builder, f->alloc, f->reshapes.front(),
                                   cast<MemRefType>(returned));
        else
          continue;
        ret.setOperand(i, replacement);
        ++numReturned;
      }
    });
  }
};

} // namespace
