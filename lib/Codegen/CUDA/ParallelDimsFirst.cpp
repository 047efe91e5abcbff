//===- ParallelDimsFirst.cpp - Parallel loops outside reductions ----------===//
//
// Part of the Kiln project: an MLIR compiler for training programs.
//
//===----------------------------------------------------------------------===//
//
// kiln-cuda-parallel-dims-first (see Passes.td): every linalg op whose
// iteration space has a reduction dimension before a parallel one is
// permuted (generalized first when named), so that the GPU mapping gets one
// kernel instead of a host loop of launches.
//
//===----------------------------------------------------------------------===//

#include "kiln/Conversion/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/IR/PatternMatch.h"

namespace kiln {
#define GEN_PASS_DEF_KILNCUDAPARALLELDIMSFIRST
#include "kiln/Dialect/Conversion/Passes.h.inc"
} // namespace kiln

using namespace mlir;

namespace {

/// The loop order with the parallel dimensions first; empty when it is
/// already so.
SmallVector<unsigned> parallelFirstOrder(linalg::LinalgOp op) {
  SmallVector<utils::IteratorType> iterators = op.getIteratorTypesArray();
  SmallVector<unsigned> order;
  for (auto [i, it] : llvm::enumerate(iterators))
    if (it == utils::IteratorType::parallel)
      order.push_back(i);
  size_t parallel = order.size();
  for (auto [i, it] : llvm::enumerate(iterators))
    if (it != utils::IteratorType::parallel)
      order.push_back(i);
  // Already parallel-first when the parallel dimensions are 0..p-1.
  bool identity = true;
  for (size_t i = 0; i < parallel; ++i)
    identity &= order[i] == i;
  if (identity)
    return {};
  return order;
}

class ParallelDimsFirstPass
    : public kiln::impl::KilnCUDAParallelDimsFirstBase<ParallelDimsFirstPass> {
public:
  using KilnCUDAParallelDimsFirstBase::KilnCUDAParallelDimsFirstBase;

  void runOnOperation() override {
    SmallVector<linalg::LinalgOp> ops;
    getOperation().walk([&](linalg::LinalgOp op) {
      if (!parallelFirstOrder(op).empty())
        ops.push_back(op);
    });
    IRRewriter rewriter(&getContext());
    int64_t reordered = 0;
    for (linalg::LinalgOp op : ops) {
      SmallVector<unsigned> order = parallelFirstOrder(op);
      rewriter.setInsertionPoint(op);
      auto generic = dyn_cast<linalg::GenericOp>(op.getOperation());
      if (!generic) {
        FailureOr<linalg::GenericOp> general =
            linalg::generalizeNamedOp(rewriter, op);
        if (failed(general))
          continue; // No region builder: left in its order.
        generic = *general;
      }
      if (failed(linalg::interchangeGenericOp(rewriter, generic, order))) {
        generic.emitError("kiln-cuda-parallel-dims-first: cannot permute "
                          "the loops of this op");
        return signalPassFailure();
      }
      ++reordered;
    }
    numReordered += reordered;
    // Statistics are compiled out of Debian's LLVM: a remark says it too.
    if (reordered)
      getOperation().emitRemark()
          << "kiln-cuda-parallel-dims-first: " << reordered
          << " linalg ops with their parallel dimensions moved first";
  }
};

} // namespace
