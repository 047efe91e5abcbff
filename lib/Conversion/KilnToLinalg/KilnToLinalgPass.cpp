//===- KilnToLinalgPass.cpp - The convert-kiln-to-linalg pass -------------===//
//
// Part of the Kiln project: an MLIR compiler for training programs.
//
//===----------------------------------------------------------------------===//
//
// Checks every kiln op up front (static shapes, supported element types) so a
// failure is one clear diagnostic naming the op, then applies the patterns
// with kiln illegal, and finally makes every integer type signless
// (Signedness.cpp). Counts the lowered ops in `numLoweredOps`.
//
//===----------------------------------------------------------------------===//

#include "Common.h"
#include "kiln/Conversion/KilnToLinalg/KilnToLinalg.h"
#include "kiln/Conversion/Passes.h"

#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/IR/BuiltinOps.h"

using namespace mlir;

namespace kiln {
#define GEN_PASS_DEF_CONVERTKILNTOLINALG
#include "kiln/Dialect/Conversion/Passes.h.inc"
} // namespace kiln

namespace kiln {

void populateKilnToLinalgPatterns(RewritePatternSet &patterns) {
  lowering::populateElementwisePatterns(patterns);
  lowering::populateContractionPatterns(patterns);
  lowering::populatePoolingPatterns(patterns);
  lowering::populateReductionPatterns(patterns);
  lowering::populateDataMovementPatterns(patterns);
  lowering::populateGradientOpPatterns(patterns);
  lowering::populateTrainingPatterns(patterns);
  lowering::populateDataOpPatterns(patterns);
  lowering::populateFusionGroupPatterns(patterns);
}

void configureKilnToLinalgTarget(ConversionTarget &target) {
  target.addIllegalDialect<KilnDialect>();
  target.addLegalDialect<linalg::LinalgDialect, tensor::TensorDialect,
                         arith::ArithDialect, math::MathDialect,
                         scf::SCFDialect>();
}

LogicalResult checkKilnOpLowerable(Operation *op) {
  auto check = [&](Type type, StringRef what) -> LogicalResult {
    auto shaped = dyn_cast<ShapedType>(type);
    if (!shaped)
      return success();
    if (!shaped.hasRank() || !shaped.hasStaticShape())
      return op->emitOpError("cannot be lowered to linalg: ")
             << what << " type " << type
             << " has a dynamic dimension (static shapes only)";
    return success();
  };
  for (auto [i, type] : llvm::enumerate(op->getOperandTypes()))
    if (failed(check(type, "operand #" + std::to_string(i))))
      return failure();
  for (auto [i, type] : llvm::enumerate(op->getResultTypes()))
    if (failed(check(type, "result #" + std::to_string(i))))
      return failure();

  // A gradient request is expanded by autodiff, never lowered.
  if (isa<GradientOp>(op))
    return op->emitOpError("is a gradient request and cannot be lowered: "
                           "run --kiln-autodiff first");

  // Data movement and select work on any element type, fusion groups carry
  // whatever their body computes; everything else computes on integers and
  // floats.
  if (isa<FusionGroupOp, YieldOp, ConstantOp, ReshapeOp, TransposeOp, SliceOp, ConcatOp, GatherOp,
          PadOp, BroadcastOp, SelectOp, StopGradientOp>(op))
    return success();
  auto isNumber = [](Type t) {
    return isa<IntegerType, FloatType>(getElementTypeOrSelf(t));
  };
  if (!llvm::all_of(op->getOperandTypes(), isNumber) ||
      !llvm::all_of(op->getResultTypes(), isNumber))
    return op->emitOpError("cannot be lowered to linalg: element types must "
                           "be integers or floats");
  if (lowering::hasUnsignedElements(op) && !lowering::kilnOpLowersUnsigned(op))
    return op->emitOpError("cannot be lowered to linalg: unsigned integer "
                           "element types are not supported by this op");
  return success();
}

namespace {

struct ConvertKilnToLinalgPass
    : impl::ConvertKilnToLinalgBase<ConvertKilnToLinalgPass> {
  using ConvertKilnToLinalgBase::ConvertKilnToLinalgBase;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    MLIRContext *ctx = &getContext();
    auto *kilnDialect = ctx->getLoadedDialect<KilnDialect>();
    if (!kilnDialect) {
      // No kiln op can exist in this module; its types may still be unsigned.
      eraseIntegerSignedness(module);
      return;
    }

    int64_t count = 0;
    bool ok = true;
    module.walk([&](Operation *op) {
      if (op->getDialect() != kilnDialect)
        return;
      ++count;
      if (failed(checkKilnOpLowerable(op)))
        ok = false;
    });
    if (!ok)
      return signalPassFailure();
    if (count == 0) {
      eraseIntegerSignedness(module);
      return;
    }

    ConversionTarget target(*ctx);
    configureKilnToLinalgTarget(target);
    // Fusion groups stay while their bodies are lowered; then each body is
    // fused and inlined (FusionGroups.cpp).
    target.addLegalOp<FusionGroupOp, YieldOp>();
    RewritePatternSet patterns(ctx);
    populateKilnToLinalgPatterns(patterns);
    if (failed(applyPartialConversion(module, target, std::move(patterns)))) {
      module.emitError("convert-kiln-to-linalg: some kiln ops could not be "
                       "lowered (see the 'failed to legalize' diagnostics)");
      return signalPassFailure();
    }
    if (failed(fuseAndInlineFusionGroups(module, markFusionGroups)))
      return signalPassFailure();
    // The patterns computed with unsigned semantics on `ui<N>`; now every
    // type becomes signless (Signedness.cpp).
    eraseIntegerSignedness(module);
    numLoweredOps += count;
  }
};

} // namespace
} // namespace kiln
