//===- FoldLoopResults.cpp - Loop results that are their init buffers -----===//
//
// Part of the Kiln project: an MLIR compiler for training programs.
//
//===----------------------------------------------------------------------===//
//
// The kiln-cpu-fold-loop-results pass (dialects/Conversion/Passes.td). After
// bufferization, a tiled loop that updated a tensor in place yields its
// iter_arg unchanged: its result is its init buffer. Using the init buffer
// directly lets the later passes see the allocation itself (out-params are
// written in place, the arena plans the buffer). A returned result is left
// alone when its init is a function argument or would then be returned
// twice: BufferResultsToOutParams handles neither.
//
//===----------------------------------------------------------------------===//

#include "kiln/Conversion/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"

namespace kiln {
#define GEN_PASS_DEF_KILNCPUFOLDLOOPRESULTS
#include "kiln/Dialect/Conversion/Passes.h.inc"
} // namespace kiln

using namespace mlir;

namespace {

class FoldLoopResultsPass
    : public kiln::impl::KilnCPUFoldLoopResultsBase<FoldLoopResultsPass> {
public:
  using KilnCPUFoldLoopResultsBase::KilnCPUFoldLoopResultsBase;

  void runOnOperation() override {
    getOperation().walk([&](scf::ForOp loop) {
      auto yield = cast<scf::YieldOp>(loop.getBody()->getTerminator());
      for (auto [i, result] : llvm::enumerate(loop.getResults())) {
        if (!isa<BaseMemRefType>(result.getType()) ||
            yield.getOperand(i) != loop.getRegionIterArg(i))
          continue;
        Value init = loop.getInitArgs()[i];
        // Out-param conversion cannot take a returned argument, nor one
        // allocation returned twice: leave a returned result alone when its
        // init is an argument or would then be returned more than once.
        int64_t returned = 0;
        for (OpOperand &use : llvm::concat<OpOperand>(result.getUses(),
                                                       init.getUses()))
          if (isa<func::ReturnOp>(use.getOwner()))
            ++returned;
        bool returnedResult =
            llvm::any_of(result.getUsers(), [](Operation *user) {
              return isa<func::ReturnOp>(user);
            });
        if (result.use_empty() ||
            (returnedResult && (isa<BlockArgument>(init) || returned > 1)))
          continue;
        result.replaceAllUsesWith(init);
        ++numFolded;
      }
    });
  }
};

} // namespace
