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

/// The stored code of map index `index` (0..255): the index - 128, an i8.
constexpr int64_t kCodeOffset = 128;

/// The 255 decision boundaries of the map (midpoints of neighbours) as a
/// 256-element table: entry c (1..255) is the lowest value whose nearest
/// map value has index >= c; entry 0 is never read.
SmallVector<float> mapBoundaries() {
  SmallVector<float> map = dynamicQuantizationMap();
  SmallVector<float> bounds(map.size(), -1.0f);
  for (size_t c = 1; c < map.size(); ++c)
    bounds[c] = 0.5f * (map[c - 1] + map[c]);
  return bounds;
}

Value floatTable(OpBuilder &b, Location loc, ArrayRef<float> values) {
  auto type = RankedTensorType::get({int64_t(values.size())}, b.getF32Type());
  return ConstantOp::create(b, loc, DenseElementsAttr::get(type, values));
}

} // namespace

// The nearest map value is found by a branch-free binary search over the
// map's boundaries (8 rounds of gather + compare).
std::pair<Value, Value> quantizeBlockwise(OpBuilder &b, Location loc, Value x,
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
  // The scales are stored 1-D: a returned [blocks, 1] view of a reduction
  // is what the CPU pipeline's out-param rewrite does not handle.
  Value absmax =
      ReduceMaxOp::create(b, loc, AbsOp::create(b, loc, blocks),
                          ArrayRef<int64_t>{1}, /*keep_dims=*/false);
  // An all-zero block has absmax 0: divide by a tiny value instead (0 / tiny
  // is 0, which the map holds exactly).
  Value safe = MaxOp::create(
      b, loc, reshape(b, loc, absmax, {k.blocks, 1}),
      createSplat(b, loc, scaleType, 1e-30));
  Value u = DivOp::create(b, loc, blocks,
                          BroadcastOp::create(b, loc, blockType, safe));
  Value bounds = floatTable(b, loc, mapBoundaries());
  auto indexType = blockType.clone(b.getI64Type());
  Value index = createSplat(b, loc, indexType, 0.0);
  for (int64_t step = 128; step >= 1; step /= 2) {
    Value candidate =
        AddOp::create(b, loc, index, createSplat(b, loc, indexType, step));
    Value bound =
        GatherOp::create(b, loc, bounds, candidate, b.getI64IntegerAttr(0));
    Value above = CompareOp::create(b, loc, ComparePredicate::ge, u, bound);
    index = SelectOp::create(b, loc, above, candidate, index);
  }
  Value code = SubOp::create(b, loc, index,
                             createSplat(b, loc, indexType, kCodeOffset));
  return {CastOp::create(b, loc, blockType.clone(b.getI8Type()), code),
          absmax};
}

namespace {

/// quantizeBlockwise() of an initial state; a splat constant (zeros, as optimizers
/// start) gives constant codes and scales directly.
std::pair<Value, Value> quantizeInitial(OpBuilder &b, Location loc, Value x,
                                        int64_t blockSize) {
  auto type = cast<RankedTensorType>(x.getType());
  auto constant = x.getDefiningOp<ConstantOp>();
  auto dense = constant ? dyn_cast<DenseElementsAttr>(constant.getValue())
                        : DenseElementsAttr();
  if (!dense || !dense.isSplat())
    return quantizeBlockwise(b, loc, x, blockSize);
  Blocks k = blocksOf(type, blockSize);
  double value = dense.getSplatValue<APFloat>().convertToDouble();
  // Every block holds `value` (and zero padding): absmax |value|, and the
  // code of +-1 (0 for zeros), the same search as the step's, on the host.
  float unit = value == 0.0 ? 0.0f : (value < 0 ? -1.0f : 1.0f);
  double code = double(nearestMapIndex(unit) - kCodeOffset);
  auto codesType =
      RankedTensorType::get({k.blocks, k.blockSize}, b.getI8Type());
  auto scaleType = RankedTensorType::get({k.blocks}, type.getElementType());
  return {createSplat(b, loc, codesType, code),
          createSplat(b, loc, scaleType, std::fabs(value))};
}

} // namespace

Value dequantizeBlockwise(OpBuilder &b, Location loc, Value codes,
                          Value absmax, RankedTensorType type,
                          int64_t blockSize) {
  Blocks k = blocksOf(type, blockSize);
  auto blockType = RankedTensorType::get({k.blocks, k.blockSize},
                                         type.getElementType());
  auto indexType = blockType.clone(b.getI64Type());
  Value index = AddOp::create(b, loc, CastOp::create(b, loc, indexType, codes),
                              createSplat(b, loc, indexType, kCodeOffset));
  Value unit = GatherOp::create(b, loc,
                                floatTable(b, loc, dynamicQuantizationMap()),
                                index, b.getI64IntegerAttr(0));
  Value value = MulOp::create(
      b, loc, unit,
      BroadcastOp::create(b, loc, blockType,
                          reshape(b, loc, absmax, {k.blocks, 1})));
  Value flat = reshape(b, loc, value, {k.padded()});
  if (k.padded() != k.elements)
    flat = SliceOp::create(b, loc, flat, ArrayRef<int64_t>{0},
                           ArrayRef<int64_t>{k.elements},
                           ArrayRef<int64_t>{1});
  return reshape(b, loc, flat, type.getShape());
}

SmallVector<float> dynamicQuantizationMap() {
  // bitsandbytes' create_dynamic_map(signed=True): for i = 0..6, the 2^i
  // midpoints of linspace(0.1, 1, 2^i + 1) times 10^(i - 6), and their
  // negatives; then 0 and 1.
  SmallVector<float> map;
  for (int i = 0; i < 7; ++i) {
    int64_t items = int64_t(1) << i;
    double decade = std::pow(10.0, i - 6);
    for (int64_t j = 0; j < items; ++j) {
      double lo = 0.1 + 0.9 * double(j) / double(items);
      double hi = 0.1 + 0.9 * double(j + 1) / double(items);
      float mean = float(decade * 0.5 * (lo + hi));
      map.push_back(mean);
      map.push_back(-mean);
    }
  }
  map.push_back(0.0f);
  map.push_back(1.0f);
  llvm::sort(map);
  return map;
}

int64_t nearestMapIndex(float u) {
  SmallVector<float> bounds = mapBoundaries();
  int64_t index = 0;
  for (int64_t step = 128; step >= 1; step /= 2)
    if (u >= bounds[index + step])
      index += step;
  return index;
}

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
    Value value = dequantizeBlockwise(b, loc, codes, absmax, state.type,
                                      options.blockSize);
    step.getArgument(argIndex).replaceAllUsesWith(value);

    // Write: the new state quantized before the return.
    b.setInsertionPoint(ret);
    auto [newCodes, newAbsmax] =
        quantizeBlockwise(b, loc, ret.getOperand(*resultIndex),
                          options.blockSize);
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
