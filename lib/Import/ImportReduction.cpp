//===- ImportReduction.cpp - ONNX Reduce* ops ------------------------------===//
//
// Part of the Kiln project: an MLIR compiler for training programs.
//
//===----------------------------------------------------------------------===//
//
// ReduceSum/Mean/Max/Min/Prod map onto kiln reductions; ReduceSumSquare,
// ReduceL1, ReduceL2, ReduceLogSum and ReduceLogSumExp are sugar over them.
// Axes come from an attribute or, from opset 13 (ReduceSum) or 18 (the
// rest), from an optional input; noop_with_empty_axes is honoured.
//
//===----------------------------------------------------------------------===//

#include "NodeImporter.h"

using namespace mlir;
using namespace kiln;
using namespace kiln::onnx_import;

namespace {

enum class Pre { None, Square, Abs, Exp };
enum class Post { None, Sqrt, Log };

/// Imports a reduction `Reduce` applied after elementwise `pre` and before
/// `post`.
template <typename ReduceOpT, Pre pre = Pre::None, Post post = Post::None,
          int64_t AxesInputSince = 18>
LogicalResult importReduce(NodeImporter &n) {
  bool axesFromInput = n.opset() >= AxesInputSince;
  if (failed(n.expectInputs(1, axesFromInput ? 2 : 1)))
    return failure();
  RankedTensorType type = n.inputType(0);
  int64_t rank = type.getRank();
  SmallVector<int64_t> axes;
  bool haveAxes = false;
  if (axesFromInput && n.hasInput(1)) {
    FailureOr<SmallVector<int64_t>> a = n.requireConstantInts(1, "axes");
    if (failed(a))
      return failure();
    axes = *a;
    haveAxes = true;
  } else if (!axesFromInput) {
    if (std::optional<SmallVector<int64_t>> a = n.attrInts("axes")) {
      axes = *a;
      haveAxes = true;
    }
  }
  if (axes.empty()) {
    if (haveAxes || n.attrInt("noop_with_empty_axes", 0)) {
      if (n.attrInt("noop_with_empty_axes", 0)) {
        n.setOutput(0, n.input(0));
        return success();
      }
    }
    axes = llvm::to_vector(llvm::seq<int64_t>(0, rank));
  }
  FailureOr<SmallVector<int64_t>> normalized = n.normalizeAxes(axes, rank);
  if (failed(normalized))
    return failure();

  Value x = n.input(0);
  FailureOr<Value> v = x;
  if constexpr (pre == Pre::Square)
    v = n.create<MulOp>(x, x);
  else if constexpr (pre == Pre::Abs)
    v = n.create<AbsOp>(x);
  else if constexpr (pre == Pre::Exp)
    v = n.create<ExpOp>(x);
  if (failed(v))
    return failure();
  bool keep = n.attrInt("keepdims", 1);
  v = n.create<ReduceOpT>(*v, *normalized, keep);
  if (failed(v))
    return failure();
  if constexpr (post == Post::Sqrt)
    v = n.create<SqrtOp>(*v);
  else if constexpr (post == Post::Log)
    v = n.create<LogOp>(*v);
  if (failed(v))
    return failure();
  n.setOutput(0, *v);
  return success();
}

} // namespace

void onnx_import::registerReductionImporters(OpImporterRegistry &r) {
  r.add("ReduceSum", importReduce<ReduceSumOp, Pre::None, Post::None, 13>);
  r.add("ReduceMean", importReduce<ReduceMeanOp>);
  r.add("ReduceMax", importReduce<ReduceMaxOp>);
  r.add("ReduceMin", importReduce<ReduceMinOp>);
  r.add("ReduceProd", importReduce<ReduceProdOp>);
  r.add("ReduceSumSquare", importReduce<ReduceSumOp, Pre::Square>);
  r.add("ReduceL1", importReduce<ReduceSumOp, Pre::Abs>);
  r.add("ReduceL2", importReduce<ReduceSumOp, Pre::Square, Post::Sqrt>);
  r.add("ReduceLogSum", importReduce<ReduceSumOp, Pre::None, Post::Log>);
  r.add("ReduceLogSumExp", importReduce<ReduceSumOp, Pre::Exp, Post::Log>);
}
