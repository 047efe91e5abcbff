//===- Signedness.cpp - Unsigned integers through the lowering ------------===//
//
// Part of the Kiln project: an MLIR compiler for training programs.
//
//===----------------------------------------------------------------------===//
//
// Kiln keeps ONNX's unsigned integers as `ui<N>` element types, so every
// kiln op knows whether it divides, compares, extends or shifts signed or
// unsigned. Upstream arith wants signless integers and carries signedness
// in the op instead (divui, cmpi ult, extui, uitofp, ...). The lowering
// therefore works in two steps:
//
//  1. the patterns keep the kiln types (`tensor<4xui8>` stays so, and the
//     scalar bodies see `ui8` values), and pick the unsigned arith op for
//     `ui<N>` elements (Elementwise.cpp, Reductions.cpp, lowestAttr ...);
//  2. eraseIntegerSignedness then rewrites every type and attribute of the
//     module from `ui<N>`/`si<N>` to `i<N>`, after recording on each
//     function's arguments and results which were unsigned (`kiln.unsigned`),
//     so the JIT still binds ONNX uint8 data to them.
//
// Between the two steps the IR is not valid (arith on `ui8`); the pass runs
// both, so its output is. Only ops whose lowering has been written with
// unsigned semantics in mind accept `ui<N>` (kilnOpLowersUnsigned); any other
// op is rejected with a diagnostic before conversion, never lowered with
// signed semantics by accident.
//
//===----------------------------------------------------------------------===//

#include "Common.h"
#include "kiln/Conversion/KilnToLinalg/KilnToLinalg.h"

#include "mlir/IR/AttrTypeSubElements.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "mlir/Interfaces/FunctionInterfaces.h"

using namespace mlir;

namespace kiln {

namespace {

/// Whether `type` or any type nested in it is a non-signless integer.
bool containsSignedness(Type type) {
  bool found = false;
  type.walk([&](IntegerType t) {
    if (!t.isSignless())
      found = true;
  });
  return found;
}

bool isUnsignedTensor(Type type) {
  auto shaped = dyn_cast<ShapedType>(type);
  return shaped && shaped.getElementType().isUnsignedInteger();
}

} // namespace

namespace lowering {

bool kilnOpLowersUnsigned(Operation *op) {
  // Data movement never looks at the values; these compute with the
  // signedness of their element type.
  return isa<ConstantOp, ReshapeOp, TransposeOp, SliceOp, ConcatOp, GatherOp,
             PadOp, BroadcastOp, SelectOp, StopGradientOp, CastOp, NegOp, AbsOp,
             ReluOp, AddOp, SubOp, MulOp, DivOp, MaxOp, MinOp, CompareOp,
             ReduceSumOp, ReduceMeanOp, ReduceMaxOp, ReduceMinOp, ReduceProdOp,
             MatmulOp, AndOp, OrOp, XorOp, ShiftLeftOp, ShiftRightOp, RemOp,
             SliceBackwardOp, ScatterAddOp>(op);
}

bool hasUnsignedElements(Operation *op) {
  return llvm::any_of(op->getOperandTypes(), isUnsignedTensor) ||
         llvm::any_of(op->getResultTypes(), isUnsignedTensor);
}

} // namespace lowering

void eraseIntegerSignedness(ModuleOp module) {
  MLIRContext *ctx = module.getContext();
  bool any = false;
  module.walk([&](Operation *op) {
    if (llvm::any_of(op->getResultTypes(), containsSignedness))
      any = true;
    for (Region &region : op->getRegions())
      for (Block &block : region)
        for (BlockArgument arg : block.getArguments())
          if (containsSignedness(arg.getType()))
            any = true;
    return any ? WalkResult::interrupt() : WalkResult::advance();
  });
  if (!any)
    return;

  // The boundary keeps its meaning for whoever binds data to it.
  auto unit = UnitAttr::get(ctx);
  module.walk([&](FunctionOpInterface func) {
    for (auto [i, type] : llvm::enumerate(func.getArgumentTypes()))
      if (isUnsignedTensor(type))
        func.setArgAttr(i, kUnsignedAttrName, unit);
    for (auto [i, type] : llvm::enumerate(func.getResultTypes()))
      if (isUnsignedTensor(type))
        func.setResultAttr(i, kUnsignedAttrName, unit);
  });

  AttrTypeReplacer replacer;
  auto signless = [](Type t) -> Type {
    auto it = dyn_cast<IntegerType>(t);
    if (!it || it.isSignless())
      return t;
    return IntegerType::get(it.getContext(), it.getWidth());
  };
  replacer.addReplacement([=](IntegerType t) -> std::optional<Type> {
    if (t.isSignless())
      return std::nullopt;
    return signless(t);
  });
  // Elements attributes do not expose their type as a sub-element: rebuild
  // them over the same bytes.
  using AttrResult = std::optional<std::pair<Attribute, WalkResult>>;
  replacer.addReplacement([=](DenseElementsAttr attr) -> AttrResult {
    Type element = attr.getElementType();
    if (signless(element) == element)
      return std::nullopt;
    return std::make_pair(attr.bitcast(signless(element)), WalkResult::skip());
  });
  replacer.addReplacement([=](DenseResourceElementsAttr attr) -> AttrResult {
    ShapedType type = attr.getType();
    if (signless(type.getElementType()) == type.getElementType())
      return std::nullopt;
    return std::make_pair(
        DenseResourceElementsAttr::get(
            type.clone(signless(type.getElementType())), attr.getRawHandle()),
        WalkResult::skip());
  });
  replacer.recursivelyReplaceElementsIn(module, /*replaceAttrs=*/true,
                                        /*replaceLocs=*/false,
                                        /*replaceTypes=*/true);
}

} // namespace kiln
