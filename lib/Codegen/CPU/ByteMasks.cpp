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
// stores, compares on lanes). Readers may see the mask through reshapes
// (a max-pool gradient reads a ReLU mask as [n, c, oh, 2, ow, 2]); those
// take the byte type too.
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

/// The generic inputs that read `value`, directly or through reshapes
/// (expand_shape/collapse_shape, which do not care about the element
/// type), and those reshapes; failure when anything else reads it.
LogicalResult collectReaders(Value value, SmallVectorImpl<OpOperand *> &reads,
                             SmallVectorImpl<Operation *> &reshapes) {
  for (OpOperand &use : value.getUses()) {
    Operation *user = use.getOwner();
    if (isa<tensor::ExpandShapeOp, tensor::CollapseShapeOp>(user)) {
      reshapes.push_back(user);
      if (failed(collectReaders(user->getResult(0), reads, reshapes)))
        return failure();
      continue;
    }
    auto consumer = dyn_cast<linalg::GenericOp>(user);
    if (!consumer || !consumer.isDpsInput(&use))
      return failure();
    reads.push_back(&use);
  }
  return success();
}

/// Whether result `index` of `producer` can be stored as bytes: its init is
/// a tensor.empty whose value the body never reads, and every reader is a
/// linalg.generic reading it as an input (through reshapes or not).
bool canStoreAsBytes(linalg::GenericOp producer, unsigned index,
                     SmallVectorImpl<OpOperand *> &reads,
                     SmallVectorImpl<Operation *> &reshapes) {
  Value result = producer->getResult(index);
  if (!isBoolTensor(result.getType()) || result.use_empty())
    return false;
  OpOperand *init = producer.getDpsInitOperand(index);
  if (!init->get().getDefiningOp<tensor::EmptyOp>() ||
      !producer.getMatchingBlockArgument(init).use_empty())
    return false;
  return succeeded(collectReaders(result, reads, reshapes));
}

/// A mask to store as bytes: its producer, the result's index, its readers
/// and the reshapes between.
struct Mask {
  linalg::GenericOp producer;
  unsigned index;
  SmallVector<OpOperand *> reads;
  SmallVector<Operation *> reshapes;
};

class ByteMasksPass
    : public kiln::impl::KilnCPUByteMasksBase<ByteMasksPass> {
public:
  using KilnCPUByteMasksBase::KilnCPUByteMasksBase;

  void runOnOperation() override {
    SmallVector<Mask> masks;
    getOperation().walk([&](linalg::GenericOp op) {
      for (unsigned i = 0; i < op.getNumDpsInits(); ++i) {
        Mask mask{op, i, {}, {}};
        if (canStoreAsBytes(op, i, mask.reads, mask.reshapes))
          masks.push_back(std::move(mask));
      }
    });
    IRRewriter rewriter(&getContext());
    Type i8 = rewriter.getI8Type();
    for (Mask &mask : masks) {
      linalg::GenericOp producer = mask.producer;
      unsigned index = mask.index;
      Value result = producer->getResult(index);
      auto byteType = cast<RankedTensorType>(result.getType()).clone(i8);
      // Consumers: the input's block argument becomes a byte, truncated
      // back to the i1 its body computes with.
      for (OpOperand *use : mask.reads) {
        auto consumer = cast<linalg::GenericOp>(use->getOwner());
        BlockArgument arg = consumer.getMatchingBlockArgument(use);
        arg.setType(i8);
        rewriter.setInsertionPointToStart(arg.getOwner());
        auto bit = arith::TruncIOp::create(rewriter, consumer.getLoc(),
                                           rewriter.getI1Type(), arg);
        rewriter.replaceAllUsesExcept(arg, bit.getResult(), bit);
      }
      for (Operation *reshape : mask.reshapes) {
        Value reshaped = reshape->getResult(0);
        reshaped.setType(cast<RankedTensorType>(reshaped.getType()).clone(i8));
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
