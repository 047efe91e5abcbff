//===- KilnDialect.td - The kiln dialect definition -------*- tablegen -*-===//
//
// Part of the Kiln project: an MLIR compiler for training programs.
//
//===----------------------------------------------------------------------===//
//
// The kiln dialect: tensor-level mathematical primitives of neural-network
// training programs, with value semantics on builtin ranked tensors.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_DIALECT_TD
#define KILN_DIALECT_TD

include "mlir/IR/OpBase.td"

def Kiln_Dialect : Dialect {
  let name = "kiln";
  let cppNamespace = "::kiln";
  let summary = "Primitives of neural-network training programs";
  let description = [{
    The kiln dialect holds one op per mathematical primitive of a training
    program (not one per ONNX op). Ops act on builtin ranked tensors with
    value semantics; broadcasting is explicit (`kiln.broadcast`), shapes are
    inferred by the ops and checked by their verifiers. The ONNX importer
    decomposes ONNX's sugar (Gemm's transposes and scaling, numpy
    broadcasting, opset variants) into this small set so that every pass,
    gradient rule and lowering has few cases to handle.
  }];
  let hasConstantMaterializer = 1;
  let dependentDialects = ["::mlir::arith::ArithDialect"];
}

#endif // KILN_DIALECT_TD
