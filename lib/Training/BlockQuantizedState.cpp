//===- BlockQuantizedState.cpp - 8-bit block-wise optimizer state ---------===//
//
// Part of the Kiln project: an MLIR compiler for training programs.
//
//===----------------------------------------------------------------------===//
//
// kiln-quantize's adam-8bit mode (see the header): the quantizer and
// dequantizer as kiln ops, and the rewrite of a training step's state.
//
//===----------------------------------------------------------------------===//

#include "kiln/Training/BlockQuantizedState.h"

#include "kiln/Dialect/Kiln/KilnBuilder.h"
#include "kiln/Dialect/Kiln/KilnOps.h"
#include "kiln/Training/TrainStep.h"
#include "kiln/Training/TrainStepAccess.h"

#include "llvm/ADT/DenseSet.h"

#include <cmath>

using namespace mlir;

namespace kiln {
namespace training {

namespace {

/// Levels of the code on each side of zero.
constexpr double kLevels = 127.0;

struct Blocks {
  int64_t elements, blocks, blockSize;
  int64_t padded() const { return blocks * blockSize; }
};

Blocks blocksOf(RankedTensorType type, int64_t blockSize) {
  int64_t n = type.getNumElements();
  return {n, (n + blockSize - 1) / blockSize, blockSize};
}

Value reshape(OpBuilder &b, Location loc, Value v, ArrayRef<int64_t> shape) {
  auto type = cast<RankedTensorType>(v.getType());
  if (type.getShape() == shape)
    return v;
  return ReshapeOp::create(b, loc, type.clone(shape), v);
}

Value negIf(OpBuilder &b, Location loc, Value negative, Value magnitude) {
  return SelectOp::create(b, loc, negative, NegOp::create(b, loc, magnitude),
                          magnitude);
}

/// (codes [blocks, B] i8, absmax [blocks] f32) of the f32 tensor `x`.
std::pair<Value, Value> quantize(OpBuilder &b, Location loc, Value x,
                                 int64_t blockSize) {
  auto type = cast<RankedTensorType>(x.getType());
  Blocks k = blocksOf(type, blockSize);
  Value flat = reshape(b, loc, x, {k.elements});
  if (k.padded() != k.elements)
    flat = PadOp::create(b, loc, flat, ArrayRef<int64_t>{0},
                         ArrayRef<int64_t>{k.padded() - k.elements},
                         b.getFloatAttr(type.getElementType(), 0.0));
  Value blocks = reshape(b, loc, flat, {k.blocks, k.blockSize});
  auto blockType = cast<RankedTensorType>(blocks.getType());
  auto scaleType = blockType.clone({k.blocks, 1});
  Value magnitude = AbsOp::create(b, loc, blocks);
  // The scales are stored 1-D: a returned [blocks, 1] view of a reduction
  // is what the CPU pipeline's out-param rewrite does not handle.
  Value absmax = ReduceMaxOp::create(b, loc, magnitude, ArrayRef<int64_t>{1},
                                     /*keep_dims=*/false);
  // An all-zero block has absmax 0: divide by a tiny value instead (0 / tiny
  // is 0, the code of 0).
  Value safe = MaxOp::create(
      b, loc, reshape(b, loc, absmax, {k.blocks, 1}),
      createSplat(b, loc, scaleType, 1e-30));
  Value u = DivOp::create(b, loc, magnitude,
                          BroadcastOp::create(b, loc, blockType, safe));
  Value root = SqrtOp::create(b, loc, SqrtOp::create(b, loc, u));
  Value level = RoundOp::create(
      b, loc, MulOp::create(b, loc, root, createSplat(b, loc, blockType, kLevels)));
  Value negative = CompareOp::create(b, loc, ComparePredicate::lt, blocks,
                                     createSplat(b, loc, blockType, 0.0));
  Value signedLevel = negIf(b, loc, negative, level);
  Value codes = CastOp::create(b, loc, blockType.clone(b.getI8Type()),
                               signedLevel);
  return {codes, absmax};
}

/// quantize() of an initial state; a splat constant (zeros, as optimizers
/// start) gives constant codes and scales directly.
std::pair<Value, Value> quantizeInitial(OpBuilder &b, Location loc, Value x,
                                        int64_t blockSize) {
  auto type = cast<RankedTensorType>(x.getType());
  auto constant = x.getDefiningOp<ConstantOp>();
  auto dense = constant ? dyn_cast<DenseElementsAttr>(constant.getValue())
                        : DenseElementsAttr();
  if (!dense || !dense.isSplat())
    return quantize(b, loc, x, blockSize);
  Blocks k = blocksOf(type, blockSize);
  double value = dense.getSplatValue<APFloat>().convertToDouble();
  // Every block holds `value` (and zero padding): absmax |value|, code
  // +-127, or 0 for zeros.
  double code = value == 0.0 ? 0.0 : (value < 0 ? -kLevels : kLevels);
  auto codesType =
      RankedTensorType::get({k.blocks, k.blockSize}, b.getI8Type());
  auto scaleType = RankedTensorType::get({k.blocks}, type.getElementType());
  return {createSplat(b, loc, codesType, code),
          createSplat(b, loc, scaleType, std::fabs(value))};
}

/// The f32 tensor of `type` that `codes` and `absmax` stand for.
Value dequantize(OpBuilder &b, Location loc, Value codes, Value absmax,
                 RankedTensorType type, int64_t blockSize) {
  Blocks k = blocksOf(type, blockSize);
  auto blockType = RankedTensorType::get({k.blocks, k.blockSize},
                                         type.getElementType());
  Value level = CastOp::create(b, loc, blockType, codes);
  Value t = DivOp::create(b, loc, AbsOp::create(b, loc, level),
                          createSplat(b, loc, blockType, kLevels));
  Value t2 = MulOp::create(b, loc, t, t);
  Value t4 = MulOp::create(b, loc, t2, t2);
  Value magnitude = MulOp::create(
      b, loc, t4,
      BroadcastOp::create(b, loc, blockType,
                          reshape(b, loc, absmax, {k.blocks, 1})));
  Value negative = CompareOp::create(b, loc, ComparePredicate::lt, level,
                                     createSplat(b, loc, blockType, 0.0));
  Value flat = reshape(b, loc, negIf(b, loc, negative, magnitude),
                       {k.padded()});
  if (k.padded() != k.elements)
    flat = SliceOp::create(b, loc, flat, ArrayRef<int64_t>{0},
                           ArrayRef<int64_t>{k.elements},
                           ArrayRef<int64_t>{1});
  return reshape(b, loc, flat, type.getShape());
}

} // namespace

FailureOr<BlockQuantizedStateReport>
quantizeOptimizerState(ModuleOp module, func::FuncOp step,
                       const BlockQuantizedStateOptions &options) {
  if (options.blockSize < 1) {
    step.emitError("kiln-quantize: the block size must be at least 1");
    return failure();
  }
  FailureOr<TrainStepParts> parts =
      trainStepParts(module, step, "kiln-quantize");
  if (failed(parts))
    return failure();
  DictionaryAttr binding = parts->binding;
  func::FuncOp init = parts->init;
  Block &body = step.getBody().front();
  llvm::DenseSet<Value> weights(parts->request.getWrt().begin(),
                                parts->request.getWrt().end());

  // The optimizer state: bound float arguments that are not weights.
  struct State {
    std::string name;
    RankedTensorType type;
  };
  SmallVector<State> states;
  BlockQuantizedStateReport report;
  for (BlockArgument arg : step.getArguments()) {
    std::string name = argumentName(step, arg.getArgNumber());
    auto type = dyn_cast<RankedTensorType>(arg.getType());
    if (name.empty() || !binding.contains(name) || weights.contains(arg) ||
        !type || !type.hasStaticShape())
      continue;
    report.stateBytesBefore += tensorBytes(type);
    if (!type.getElementType().isF32() ||
        type.getNumElements() < options.minElements) {
      report.stateBytesAfter += tensorBytes(type);
      if (type.getElementType().isF32())
        ++report.keptTensors;
      continue;
    }
    states.push_back({name, type});
  }

  OpBuilder b(step.getContext());
  Location loc = step.getLoc();
  auto ret = cast<func::ReturnOp>(body.getTerminator());
  auto initRet = cast<func::ReturnOp>(init.getBody().front().getTerminator());
  for (const State &state : states) {
    unsigned argIndex = *findArgument(step, state.name);
    auto boundName = dyn_cast<StringAttr>(binding.get(state.name));
    std::optional<unsigned> resultIndex =
        boundName ? findResult(step, boundName.getValue()) : std::nullopt;
    std::optional<unsigned> initIndex = findResult(init, state.name);
    if (!resultIndex || !initIndex) {
      step.emitError() << "kiln-quantize: @" << step.getSymName()
                       << ": state '" << state.name
                       << "' has no bound result or no initial value";
      return failure();
    }
    Blocks k = blocksOf(state.type, options.blockSize);
    auto codesType =
        RankedTensorType::get({k.blocks, k.blockSize}, b.getI8Type());
    auto scaleType = RankedTensorType::get({k.blocks}, b.getF32Type());

    // Read: the codes and scales, dequantized just before the state's first
    // reader (the optimizer update), so the f32 copy lives only through it.
    std::string codesName = freshName(step, state.name + ".q8");
    std::string scaleName = freshName(step, state.name + ".absmax");
    Value codes = addStateArgument(step, codesName, codesType);
    Value absmax = addStateArgument(step, scaleName, scaleType);
    Operation *firstReader = ret;
    for (Operation *user : step.getArgument(argIndex).getUsers())
      if (user->getBlock() == &body && user->isBeforeInBlock(firstReader))
        firstReader = user;
    b.setInsertionPoint(firstReader);
    Value value =
        dequantize(b, loc, codes, absmax, state.type, options.blockSize);
    step.getArgument(argIndex).replaceAllUsesWith(value);

    // Write: the new state quantized before the return.
    b.setInsertionPoint(ret);
    auto [newCodes, newAbsmax] =
        quantize(b, loc, ret.getOperand(*resultIndex), options.blockSize);
    b.setInsertionPoint(initRet);
    auto [initCodes, initAbsmax] = quantizeInitial(
        b, loc, initRet.getOperand(*initIndex), options.blockSize);
    bindState(step, init, codesName, newCodes,
              [&](OpBuilder &) { return initCodes; });
    bindState(step, init, scaleName, newAbsmax,
              [&](OpBuilder &) { return initAbsmax; });
    report.stateBytesAfter += tensorBytes(codesType) + tensorBytes(scaleType);
    ++report.quantizedTensors;

    // The f32 state is gone: its argument, result, binding and initial
    // value.
    ret->eraseOperand(*resultIndex);
    (void)step.eraseResult(*resultIndex);
    (void)step.eraseArgument(argIndex);
    initRet->eraseOperand(*initIndex);
    (void)init.eraseResult(*initIndex);
    SmallVector<NamedAttribute> entries;
    for (NamedAttribute entry :
         step->getAttrOfType<DictionaryAttr>(kUpdateBindingAttr))
      if (entry.getName() != state.name)
        entries.push_back(entry);
    step->setAttr(kUpdateBindingAttr, b.getDictionaryAttr(entries));
  }
  return report;
}

} // namespace training
} // namespace kiln
