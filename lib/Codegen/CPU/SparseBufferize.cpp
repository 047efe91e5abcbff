//===- SparseBufferize.cpp - Bufferize, through the sparse compiler -------===//
//
// Part of the Kiln project: an MLIR compiler for training programs.
//
//===----------------------------------------------------------------------===//
//
// The kiln-cpu-bufferize pass (dialects/Conversion/Passes.td): the CPU
// pipeline's bufferization step. A module without sparse tensors gets
// exactly the one-shot bufferization the pipeline always ran; a module with
// some (kiln-cpu-sparse-weights' products) goes through MLIR's sparse
// compiler instead: sparsification-and-bufferization (sparse loops, their
// vectorization and outer-loop threading, the sparse storage as plain
// buffers, and the one-shot bufferization of the dense ops with the same
// function-boundary options), then the storage specifiers to LLVM structs.
// The helper functions the sparse code calls (insertions, sorts) return
// dynamically sized buffers, which buffer-results-to-out-params cannot
// take: they are inlined into their callers and erased. The multiplies and
// adds of the sparse loops are marked contractable (FMAs), as the dense
// kernels' are.
//
//===----------------------------------------------------------------------===//

#include "kiln/Codegen/CPU/LoopAccumulators.h"
#include "kiln/Conversion/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Bufferization/Transforms/OneShotAnalysis.h"
#include "mlir/Dialect/Bufferization/Transforms/Passes.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/SparseTensor/IR/SparseTensor.h"
#include "mlir/Dialect/SparseTensor/Transforms/Passes.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Transforms/Inliner.h"
#include "mlir/Transforms/InliningUtils.h"

namespace kiln {
#define GEN_PASS_DEF_KILNCPUBUFFERIZE
#include "kiln/Dialect/Conversion/Passes.h.inc"
} // namespace kiln

using namespace mlir;

namespace {

bool hasSparseTensors(ModuleOp module) {
  auto sparse = [](TypeRange types) {
    return llvm::any_of(types, [](Type t) {
      return static_cast<bool>(sparse_tensor::getSparseTensorEncoding(t));
    });
  };
  WalkResult r = module.walk([&](Operation *op) {
    if (sparse(op->getResultTypes()) || sparse(op->getOperandTypes()))
      return WalkResult::interrupt();
    if (auto func = dyn_cast<func::FuncOp>(op))
      if (sparse(func.getArgumentTypes()) || sparse(func.getResultTypes()))
        return WalkResult::interrupt();
    return WalkResult::advance();
  });
  return r.wasInterrupted();
}

/// Inlines every call of a private function that returns a dynamically
/// shaped memref (the sparse compiler's helpers) and erases the function.
LogicalResult inlineBufferHelpers(ModuleOp module) {
  SmallVector<func::FuncOp> helpers;
  for (auto func : module.getOps<func::FuncOp>()) {
    if (!func.isPrivate() || func.isExternal())
      continue;
    if (llvm::any_of(func.getResultTypes(), [](Type t) {
          auto m = dyn_cast<MemRefType>(t);
          return m && !m.hasStaticShape();
        }))
      helpers.push_back(func);
  }
  if (helpers.empty())
    return success();
  InlinerInterface interface(module.getContext());
  InlinerConfig config;
  // Helpers call helpers: inline until no call is left (bounded by the
  // number of helpers, the call graph of the generated code is acyclic).
  for (size_t round = 0; round <= helpers.size(); ++round) {
    SmallVector<func::CallOp> calls;
    module.walk([&](func::CallOp call) {
      if (llvm::any_of(helpers, [&](func::FuncOp f) {
            return f.getSymName() == call.getCallee();
          }))
        calls.push_back(call);
    });
    if (calls.empty())
      break;
    for (func::CallOp call : calls) {
      auto callee = module.lookupSymbol<func::FuncOp>(call.getCallee());
      if (failed(inlineCall(interface, config.getCloneCallback(), call,
                            callee, &callee.getBody(),
                            /*shouldCloneInlinedRegion=*/true)))
        return call.emitError("kiln-cpu-bufferize: cannot inline ")
               << call.getCallee();
      call.erase();
    }
  }
  for (func::FuncOp f : helpers)
    if (SymbolTable::symbolKnownUseEmpty(f, module))
      f.erase();
  return success();
}

/// Marks the float multiplies and adds of the sparse compiler's loops
/// (tagged "Emitted from" by the sparsifier) contractable, so that LLVM
/// fuses them into FMAs as it does in the dense kernels; the sparsifier
/// rebuilds the loop body's arithmetic without the linalg body's flags.
void contractSparseLoops(ModuleOp module) {
  module.walk([](Operation *loop) {
    if (!isa<scf::ForOp, scf::ParallelOp, scf::WhileOp>(loop) ||
        !loop->hasAttr("Emitted from"))
      return;
    loop->walk([](Operation *op) {
      if (auto fm = dyn_cast<arith::ArithFastMathInterface>(op))
        if (isa<arith::MulFOp, arith::AddFOp>(op))
          op->setAttr(fm.getFastMathAttrName(),
                      arith::FastMathFlagsAttr::get(
                          op->getContext(),
                          fm.getFastMathFlagsAttr().getValue() |
                              arith::FastMathFlags::contract));
    });
  });
}

/// Keeps the output vectors of the sparse compiler's innermost
/// sparse loops in registers (LoopAccumulators.h): the column product's
/// loop over a column's nonzeros would otherwise load and store the whole
/// output row for each of them. Returns the number of vectors kept.
unsigned keepSparseAccumulatorsInRegisters(ModuleOp module) {
  SmallVector<scf::ForOp> loops;
  module.walk([&](scf::ForOp loop) {
    if (loop->hasAttr("Emitted from") &&
        !loop.getBody()->getOps<scf::ForOp>().empty())
      loops.push_back(loop);
  });
  IRRewriter rewriter(module.getContext());
  unsigned kept = 0;
  for (scf::ForOp loop : loops)
    kept += kiln::cpu::keepVectorAccumulatorsInRegisters(
        rewriter, loop, /*maxUnroll=*/16);
  return kept;
}

struct BufferizePass : public kiln::impl::KilnCPUBufferizeBase<BufferizePass> {
  using KilnCPUBufferizeBase::KilnCPUBufferizeBase;
  void runOnOperation() override;

  /// The passes this one runs on a module without sparse tensors.
  void buildDensePipeline(OpPassManager &pm) const {
    // What buildCPUPipelineThroughMemoryPlan adds without this pass.
    bufferization::OneShotBufferizePassOptions opts;
    opts.bufferizeFunctionBoundaries = true;
    opts.functionBoundaryTypeConversion =
        bufferization::LayoutMapOption::IdentityLayoutMap;
    pm.addPass(bufferization::createOneShotBufferizePass(opts));
  }

  /// The passes this one runs on a module with sparse tensors.
  void buildSparsePipeline(OpPassManager &pm) const {
    // Function boundaries with identity layouts, as in the dense path.
    bufferization::OneShotBufferizationOptions bufferizeOpts =
        getBufferizationOptionsForSparsification(/*analysisOnly=*/false);
    auto strategy = parallelize
                        ? SparseParallelizationStrategy::kDenseOuterLoop
                        : SparseParallelizationStrategy::kNone;
    SparsificationOptions sparseOpts(
        strategy, SparseEmitStrategy::kFunctional, /*enableRT=*/false);
    // The buffer deallocation pipeline frees the sparse buffers with the
    // rest (it rejects code that already has deallocations).
    pm.addPass(createSparsificationAndBufferizationPass(
        bufferizeOpts, sparseOpts, /*createSparseDeallocs=*/false,
        /*enableRuntimeLibrary=*/false, /*enableBufferInitialization=*/false,
        vectorLength, /*enableVLAVectorization=*/false, simdIndex32,
        /*enableGPULibgen=*/false, SparseEmitStrategy::kFunctional,
        strategy));
    pm.addPass(createStorageSpecifierToLLVMPass());
  }

  /// The dialects of both pipelines must be loaded before this pass runs
  /// them (a pass cannot load dialects while the pass manager is running).
  void getDependentDialects(DialectRegistry &registry) const override {
    KilnCPUBufferizeBase::getDependentDialects(registry);
    OpPassManager dense(ModuleOp::getOperationName());
    OpPassManager sparse(ModuleOp::getOperationName());
    buildDensePipeline(dense);
    buildSparsePipeline(sparse);
    dense.getDependentDialects(registry);
    sparse.getDependentDialects(registry);
  }
};

void BufferizePass::runOnOperation() {
  ModuleOp module = getOperation();
  OpPassManager pm(ModuleOp::getOperationName());
  bool sparse = hasSparseTensors(module);
  if (sparse)
    buildSparsePipeline(pm);
  else
    buildDensePipeline(pm);
  if (failed(runPipeline(pm, module)))
    return signalPassFailure();
  if (!sparse)
    return;
  if (failed(inlineBufferHelpers(module)))
    return signalPassFailure();
  contractSparseLoops(module);
  numAccumulators += keepSparseAccumulatorsInRegisters(module);
  ++numSparseModules;
}

} // namespace
