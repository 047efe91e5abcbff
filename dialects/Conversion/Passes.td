//===- Passes.td - Conversions out of the kiln dialect ----*- tablegen -*-===//
//
// Part of the Kiln project: an MLIR compiler for training programs.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_CONVERSION_PASSES_TD
#define KILN_CONVERSION_PASSES_TD

include "mlir/Pass/PassBase.td"

def ConvertKilnToLinalg : Pass<"convert-kiln-to-linalg", "mlir::ModuleOp"> {
  let summary = "Lowers kiln ops to linalg, tensor, arith and math";
  let description = [{
    Rewrites every kiln op into upstream ops on tensors: contractions,
    convolutions and pooling become linalg named ops, elementwise math and
    reductions become `linalg.generic`/`linalg.reduce`, data movement becomes
    `tensor` ops. Everything stays on tensors, so tiling, fusion and
    vectorization apply afterwards. Shapes must be static; an op with a
    dynamic dimension is reported and the pass fails.

    Unsigned `ui<N>` element types are lowered with the unsigned arith ops
    (divui, cmpi ult, extui, uitofp, ...); at the end every integer type of
    the module becomes signless, and function arguments and results that
    were unsigned tensors carry `kiln.unsigned`.
  }];
  let dependentDialects = [
    "mlir::linalg::LinalgDialect", "mlir::tensor::TensorDialect",
    "mlir::arith::ArithDialect", "mlir::math::MathDialect",
  ];
  let statistics = [
    Statistic<"numLoweredOps", "lowered-ops", "kiln ops lowered">,
  ];
}

#endif // KILN_CONVERSION_PASSES_TD
