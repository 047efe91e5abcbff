//===- ByteMasks.cpp - Boolean tensors between linalg ops stored as bytes --===//
//
// Part of the Kiln project: an MLIR compiler for training programs.
//
//===----------------------------------------------------------------------===//
//
// The kiln-cpu-byte-masks pass (dialects/Conversion/Passes.td). A mask that
// one linalg.generic writes and others read (a ReLU's `x > 0` saved by a
// fused forward group for its backward) is a tensor of i1. Its buffer holds
// a byte per element, but LLVM's <N x i1> vectors are bit-packed, so
// kiln-cpu-vectorize must leave every op touching it as scalar loops. Here
// such a mask becomes a tensor of i8: its producer yields `extui`, each
// consumer reads `trunci` of the byte; both then vectorize (byte loads and
// stores, compares on lanes).
//
//===----------------------------------------------------------------------===//

#include "kiln/Conversion/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/PatternMatch.h"

namespace kiln {
#define GEN_PASS_DEF_KILNCPUBYTEMASKS
#include "kiln/Dialect/Conversion/Passes.h.inc"
} // namespace kiln

using namespace mlir;

namespace {

bool isBoolTensor(Type type) {
  auto tensor = dyn_cast<RankedTensorType>(type);
  return tensor && tensor.hasStaticShape() &&
         tensor.getElementType().isInteger(1);
}

/// Whether result `index` of `producer` can be stored as bytes: its init is
/// a tensor.empty whose value the body never reads, and every user is a
/// linalg.generic reading it as an input.
bool canStoreAsBytes(linalg::GenericOp producer, unsigned index) {
  Value result = producer->getResult(index);
  if (!isBoolTensor(result.getType()) || result.use_empty())
    return false;
  OpOperand *init = producer.getDpsInitOperand(index);
  if (!init->get().getDefiningOp<tensor::EmptyOp>() ||
      !producer.getMatchingBlockArgument(init).use_empty())
    return false;
  for (OpOperand &use : result.getUses()) {
    auto consumer = dyn_cast<linalg::GenericOp>(use.getOwner());
    if (!consumer || !consumer.isDpsInput(&use))
      return false;
  }
  return true;
}

class ByteMasksPass
    : public kiln::impl::KilnCPUByteMasksBase<ByteMasksPass> {
public:
  using KilnCPUByteMasksBase::KilnCPUByteMasksBase;

  void runOnOperation() override {
    SmallVector<std::pair<linalg::GenericOp, unsigned>> masks;
    getOperation().walk([&](linalg::GenericOp op) {
      for (unsigned i = 0; i < op.getNumDpsInits(); ++i)
        if (canStoreAsBytes(op, i))
          masks.emplace_back(op, i);
    });
    IRRewriter rewriter(&getContext());
    Type i8 = rewriter.getI8Type();
    for (auto [producer, index] : masks) {
      Value result = producer->getResult(index);
      auto byteType = cast<RankedTensorType>(result.getType()).clone(i8);
      // Consumers: the input's block argument becomes a byte, truncated
      // back to the i1 its body computes with.
      for (OpOperand &use : llvm::make_early_inc_range(result.getUses())) {
        auto consumer = cast<linalg::GenericOp>(use.getOwner());
        BlockArgument arg = consumer.getMatchingBlockArgument(&use);
        arg.setType(i8);
        rewriter.setInsertionPointToStart(arg.getOwner());
        auto bit = arith::TruncIOp::create(rewriter, consumer.getLoc(),
                                           rewriter.getI1Type(), arg);
        rewriter.replaceAllUsesExcept(arg, bit.getResult(), bit);
      }
      // Producer: a byte init and result, the body yields the widened bit.
      OpOperand *init = producer.getDpsInitOperand(index);
      rewriter.setInsertionPoint(producer);
      init->set(tensor::EmptyOp::create(rewriter, producer.getLoc(),
                                        byteType.getShape(), i8));
      producer.getMatchingBlockArgument(init).setType(i8);
      auto yield = cast<linalg::YieldOp>(
          producer.getRegion().front().getTerminator());
      rewriter.setInsertionPoint(yield);
      Value bit = yield.getOperand(index);
      yield.setOperand(index, arith::ExtUIOp::create(
                                  rewriter, producer.getLoc(), i8, bit));
      result.setType(byteType);
      ++numMasks;
    }
  }
};

} // namespace
