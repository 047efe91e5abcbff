//===- HostSharedMemory.cpp - Host buffers the GPU can address ------------===//
//
// Part of the Kiln project: an MLIR compiler for training programs.
//
//===----------------------------------------------------------------------===//
//
// kiln-cuda-host-shared-memory (see Passes.td): after kernel outlining, the
// host functions' allocations become gpu.alloc host_shared (managed
// memory), and the program's constant globals are copied into such
// allocations, so that every buffer a kernel receives is addressable by
// the device while the host code keeps reading and writing it directly.
//
//===----------------------------------------------------------------------===//

#include "kiln/Conversion/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/IR/Builders.h"

namespace kiln {
#define GEN_PASS_DEF_KILNCUDAHOSTSHAREDMEMORY
#include "kiln/Dialect/Conversion/Passes.h.inc"
} // namespace kiln

using namespace mlir;

namespace {

/// Bytes of a statically shaped buffer type, 0 otherwise.
int64_t staticBytes(MemRefType type) {
  if (!type.hasStaticShape() || !type.getElementType().isIntOrFloat())
    return 0;
  return type.getNumElements() *
         ((type.getElementType().getIntOrFloatBitWidth() + 7) / 8);
}

class HostSharedMemoryPass
    : public kiln::impl::KilnCUDAHostSharedMemoryBase<HostSharedMemoryPass> {
public:
  using KilnCUDAHostSharedMemoryBase::KilnCUDAHostSharedMemoryBase;

  void runOnOperation() override {
    // The same pass instance runs on one function after another.
    allocs = globals = staticBytesSeen = 0;
    SmallVector<Operation *> work;
    getOperation().walk([&](Operation *op) {
      if (isa<memref::AllocOp, memref::AllocaOp, memref::DeallocOp,
              memref::GetGlobalOp>(op))
        work.push_back(op);
    });
    for (Operation *op : work)
      if (failed(rewrite(op)))
        return signalPassFailure();
    // A parallel loop left here was not mapped to the GPU: correct (its
    // buffers are host-shared now) but run by one CPU thread. Say so.
    getOperation().walk([&](scf::ParallelOp loop) {
      loop.emitWarning("kiln-cuda: this parallel loop was not mapped to the "
                       "GPU and runs on the host");
      return WalkResult::interrupt();
    });
    // Statistics are compiled out of Debian's LLVM: a remark says it too.
    if (allocs || globals)
      getOperation().emitRemark()
          << "kiln-cuda-host-shared-memory: " << allocs
          << " allocations and " << globals
          << " globals in host-shared memory (" << staticBytesSeen
          << " bytes with static shapes)";
  }

private:
  /// This function's counts, for the remark.
  int64_t allocs = 0, globals = 0, staticBytesSeen = 0;

  /// A host-shared allocation of `type` before `op` (its dynamic sizes).
  Value allocateShared(OpBuilder &b, Operation *op, MemRefType type,
                       ValueRange dynamicSizes) {
    MemRefType plain = MemRefType::get(type.getShape(), type.getElementType(),
                                       type.getLayout(),
                                       type.getMemorySpace());
    auto alloc = gpu::AllocOp::create(b, op->getLoc(), plain, Type(),
                                      ValueRange(), dynamicSizes, ValueRange(),
                                      /*hostShared=*/true);
    staticBytesSeen += staticBytes(type);
    numStaticBytes += staticBytes(type);
    return alloc.getMemref();
  }

  /// Frees `buffer` at `b`'s insertion point. gpu-to-llvm lowers only the
  /// asynchronous gpu.dealloc: on a fresh stream, then waited for.
  static void freeShared(OpBuilder &b, Location loc, Value buffer) {
    Type token = gpu::AsyncTokenType::get(b.getContext());
    Value stream = gpu::WaitOp::create(b, loc, token, ValueRange())
                       .getAsyncToken();
    Value freed =
        gpu::DeallocOp::create(b, loc, token, ValueRange{stream}, buffer)
            .getAsyncToken();
    gpu::WaitOp::create(b, loc, Type(), ValueRange{freed});
  }

  /// Frees `buffer` before the terminator of `op`'s block; fails when the
  /// buffer leaves the block through that terminator.
  LogicalResult freeAtEndOfBlock(Operation *op, Value buffer) {
    Operation *terminator = op->getBlock()->getTerminator();
    if (llvm::is_contained(terminator->getOperands(), buffer))
      return op->emitError()
             << "kiln-cuda-host-shared-memory: a block-scoped buffer leaves "
                "its block through '"
             << terminator->getName() << "'";
    OpBuilder b(terminator);
    freeShared(b, op->getLoc(), buffer);
    return success();
  }

  LogicalResult rewrite(Operation *op) {
    OpBuilder b(op);
    if (auto alloc = dyn_cast<memref::AllocOp>(op)) {
      if (!alloc.getSymbolOperands().empty())
        return alloc.emitError()
               << "kiln-cuda-host-shared-memory: allocations with layout "
                  "symbols are not supported";
      Value shared = allocateShared(b, op, alloc.getType(),
                                    alloc.getDynamicSizes());
      alloc.replaceAllUsesWith(shared);
      alloc.erase();
      ++numAllocs;
      ++allocs;
      return success();
    }
    if (auto alloca = dyn_cast<memref::AllocaOp>(op)) {
      if (!alloca.getSymbolOperands().empty())
        return alloca.emitError()
               << "kiln-cuda-host-shared-memory: allocations with layout "
                  "symbols are not supported";
      Value shared = allocateShared(b, op, alloca.getType(),
                                    alloca.getDynamicSizes());
      if (failed(freeAtEndOfBlock(op, alloca.getResult())))
        return failure();
      alloca.replaceAllUsesWith(shared);
      alloca.erase();
      ++numAllocs;
      ++allocs;
      return success();
    }
    if (auto dealloc = dyn_cast<memref::DeallocOp>(op)) {
      freeShared(b, op->getLoc(), dealloc.getMemref());
      dealloc.erase();
      return success();
    }
    auto global = cast<memref::GetGlobalOp>(op);
    b.setInsertionPointAfter(global);
    Value shared = allocateShared(b, op, global.getType(), ValueRange());
    if (failed(freeAtEndOfBlock(op, global.getResult())))
      return failure();
    global.replaceAllUsesWith(shared);
    // The copy reads the global itself: keep the get_global for it.
    memref::CopyOp::create(b, op->getLoc(), global.getResult(), shared);
    ++numGlobals;
    ++globals;
    return success();
  }
};

} // namespace
