//===- RematGraph.h - A function as a remat graph and back ------*- C++ -*-===//
//
// Part of the Kiln project: an MLIR compiler for training programs.
//
//===----------------------------------------------------------------------===//
//
// The tensor-level memory model that kiln-schedule and kiln-remat share, and
// the adapter between a function at tensor level and the plain graph of
// kiln/Solvers/Remat.h.
//
// The model: every side-effect-free op with tensor results allocates the
// bytes of its (static) result tensors when it runs; a value stays resident
// until its last use, or to the end when it is returned. Function arguments
// (weights, optimizer state, data) are persistent and not counted. Two kinds
// of ops allocate nothing:
//   - constants (ConstantLike, no operands) lower to read-only globals;
//   - views (kiln.reshape, kiln.slice, kiln.stop_gradient) lower to
//     aliases of their input (collapse/expand_shape, extract_slice, the
//     value itself), so a use of a view is a use of the value it views.
// This is what one-shot bufferization does with these ops, so the model's
// peak is the peak of the buffers that the lowering allocates, up to the
// temporaries inside lowerings and in-place reuse that it cannot see.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_ANALYSIS_REMATGRAPH_H
#define KILN_ANALYSIS_REMATGRAPH_H

#include "kiln/Solvers/Remat.h"

#include "mlir/IR/Operation.h"
#include "mlir/Support/LLVM.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/SmallVector.h"

#include <cstdint>
#include <functional>
#include <vector>

namespace mlir::func {
class FuncOp;
} // namespace mlir::func

namespace kiln {

/// How the tensor-level memory model sees an op of a block.
enum class TensorOpKind {
  Node,     ///< side-effect free; allocates its result tensors
  View,     ///< side-effect free alias of its (single) operand
  Constant, ///< side-effect free, no operands, no transient memory
  Barrier,  ///< has side effects (or is a terminator): stays in place
};

TensorOpKind classifyTensorOp(mlir::Operation *op);

/// Bytes of a statically shaped tensor type (0 for anything else).
uint64_t staticTensorBytes(mlir::Type type);

/// Bytes of the op's statically shaped tensor results (0 for views and
/// constants, which allocate nothing, and for the function's results, which
/// bufferization writes into the caller's out-params).
uint64_t allocatedBytes(mlir::Operation *op);

/// The share of allocatedBytes that is `value` (0 for block arguments).
uint64_t transientBytes(mlir::Value value);

/// The value that `value` is a view of (itself when it is not the result of
/// a view op).
mlir::Value viewRoot(mlir::Value value);

/// FLOPs of an op from CostOpInterface; an op without the interface sums
/// the ops nested in it. 0 where unknown (dynamic shapes).
uint64_t opFlops(mlir::Operation *op);

/// Bytes that an op's lowering allocates for itself while it runs (padded
/// copies, window expansions), beyond its results; 0 when unknown.
using ScratchBytesFn = std::function<uint64_t(mlir::Operation *)>;

/// The model's peak of `block` when its non-terminator ops run in `order`
/// (a permutation of them): the largest sum of resident bytes right after an
/// op runs, its operands (and its scratch) still resident.
uint64_t tensorLivePeak(mlir::Block &block,
                        llvm::ArrayRef<mlir::Operation *> order,
                        const ScratchBytesFn &scratch = {});

/// The same model op by op: entry i is the resident bytes right after
/// order[i] runs (its operands and scratch still resident). Function
/// arguments are not counted: the bytes are the tensors the block makes.
std::vector<uint64_t> tensorLiveTimeline(mlir::Block &block,
                                         llvm::ArrayRef<mlir::Operation *> order,
                                         const ScratchBytesFn &scratch = {});

/// A function's body as a kiln::solvers::RematGraph: one node per Node op
/// (in program order, so the solver's baseline is the current order), with
/// cost and bytes from the op; edges from def-use, through views to the
/// value viewed; the nodes of returned values are keepAtEnd. An op with
/// scratch bytes gets a scratch node just before it: no inputs, the
/// scratch bytes as output, read by the op only, so that the op's working
/// set under the solver's model is its inputs, its scratch and its results.
struct FunctionRematGraph {
  solvers::RematGraph graph;
  /// The op of each node; null for scratch nodes, which have no IR.
  llvm::SmallVector<mlir::Operation *> nodeOps;
  /// FLOPs of each node from the cost interface (graph.cost also counts a
  /// write per result element, so that recomputing a zero-FLOP copy such
  /// as a broadcast is not free).
  llvm::SmallVector<uint64_t> flops;
  llvm::DenseMap<mlir::Operation *, int> nodeIds;
  uint64_t totalFlops = 0;
};

/// Builds the graph of `func`'s body. Fails, with an error on the op at
/// fault, when the body is not one block of side-effect-free ops with
/// static shapes, or when an op with regions uses values of the body
/// implicitly.
mlir::FailureOr<FunctionRematGraph>
buildRematGraph(mlir::func::FuncOp func, const ScratchBytesFn &scratch = {});

/// The attribute on a recomputed copy of an op: the copy's number (1 for the
/// first recomputation). Distinct numbers keep CSE from merging copies.
inline constexpr llvm::StringLiteral kRecomputedAttr = "kiln.recomputed";

struct RebuildResult {
  unsigned numClones = 0;  ///< recomputed copies inserted
  uint64_t flopsAdded = 0; ///< their FLOPs
};

/// Rebuilds `func`'s body in the order of `schedule` (valid for
/// `rg.graph`): the first compute of a node moves its op, a later one
/// inserts a copy marked kRecomputedAttr, and every use reads the copy that
/// is resident at that point (views are re-created on the copy they view).
/// Constants move to the top. Values are then freed at their last use
/// after bufferization, which can only lower the peak below the schedule's.
mlir::FailureOr<RebuildResult>
rebuildFromSchedule(mlir::func::FuncOp func, const FunctionRematGraph &rg,
                    const solvers::RematSchedule &schedule);

} // namespace kiln

#endif // KILN_ANALYSIS_REMATGRAPH_H
