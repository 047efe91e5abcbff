//===- KilnInterfaces.td - Interfaces of kiln ops ----------*- tablegen -*-===//
//
// Part of the Kiln project: an MLIR compiler for training programs.
//
//===----------------------------------------------------------------------===//
//
// The knowledge that passes need lives on the ops, through these interfaces:
// what an op costs (for fusion, scheduling and remat decisions), how it is
// differentiated (for the autodiff pass) and how it fuses with its
// neighbours (for the fuse pass).
//
//===----------------------------------------------------------------------===//

#ifndef KILN_INTERFACES_TD
#define KILN_INTERFACES_TD

include "mlir/IR/OpBase.td"

def Kiln_CostOpInterface : OpInterface<"CostOpInterface"> {
  let cppNamespace = "::kiln";
  let description = [{
    The cost of executing one op: floating-point (or integer) operations and
    the bytes it must read and write when it runs as its own kernel. Both are
    estimates on static shapes; an op with a dynamic dimension reports
    `std::nullopt`. Cost models for fusion, scheduling and rematerialization
    are built from these numbers.
  }];
  let methods = [
    InterfaceMethod<"Arithmetic operations performed by the op.",
      "std::optional<int64_t>", "getFlops">,
    InterfaceMethod<[{Bytes read from operands plus bytes written to
      results, when the op runs unfused.}],
      "std::optional<int64_t>", "getBytesMoved", (ins), [{}], [{
        return ::kiln::detail::defaultBytesMoved($_op.getOperation());
      }]>,
  ];
}

def Kiln_DifferentiableOpInterface : OpInterface<"DifferentiableOpInterface"> {
  let cppNamespace = "::kiln";
  let description = [{
    The reverse-mode gradient rule of an op. Given the gradients of the op's
    results (null where a result does not influence the loss), the rule
    emits kiln ops with `builder` that compute the gradients of its operands,
    one entry per operand (null where no gradient flows, e.g. integer
    indices). The autodiff pass walks the program backwards and calls this;
    it never switches on op kinds itself.
  }];
  let methods = [
    InterfaceMethod<"Emits the operand gradients of this op.",
      "::mlir::LogicalResult", "buildGradients",
      (ins "::mlir::OpBuilder &":$builder,
           "::mlir::ValueRange":$resultGradients,
           "::llvm::SmallVectorImpl<::mlir::Value> &":$operandGradients)>,
  ];
}

def Kiln_FusibleOpInterface : OpInterface<"FusibleOpInterface"> {
  let cppNamespace = "::kiln";
  let description = [{
    How an op takes part in a fusion group (`kiln.fusion_group`, formed by
    the fuse pass). Its role says what it is inside a group:
    `Elementwise` ops (one result element from the operand elements at the
    same, or broadcast, position) are fusible producers and consumers of
    each other; a `Reduction` (reductions, softmax) and a `Contraction`
    (matmul, convolution) anchor a group and fuse the elementwise ops that
    consume their result (an epilogue). Whether the anchor also fuses the
    elementwise ops that produce its operands (a prologue, e.g. the square
    in a sum of squares) is `fusesProducers`. Ops without this interface
    are never put in a group.
  }];
  let methods = [
    InterfaceMethod<"What the op is inside a fusion group.",
      "::kiln::FusionRole", "getFusionRole", (ins), [{}], [{
        return ::kiln::FusionRole::Elementwise;
      }]>,
    InterfaceMethod<[{Whether elementwise producers of the operands may be
      fused into this op (computed in its loops instead of read from
      memory).}],
      "bool", "fusesProducers", (ins), [{}], [{
        return $_op.getFusionRole() != ::kiln::FusionRole::Contraction;
      }]>,
    InterfaceMethod<[{Whether elementwise consumers of the result may be
      fused into this op as an epilogue.}],
      "bool", "fusesConsumers", (ins), [{}], [{
        return true;
      }]>,
  ];
}

#endif // KILN_INTERFACES_TD
