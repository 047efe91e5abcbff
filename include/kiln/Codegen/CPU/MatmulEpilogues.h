//===- MatmulEpilogues.h - Elementwise epilogues in GEMM kernels -*- C++ -*-===//
//
// Part of the Kiln project: an MLIR compiler for training programs.
//
//===----------------------------------------------------------------------===//
//
// What a GEMM kernel does on a register tile of C around its reduction
// loop, so that C needs no pass of its own before or after the kernel:
//   - the prologue: the tile starts from C's initial value where C was a
//     fill (zeros), written into the tile before its first k block instead
//     of a fill of the whole of C that the kernel then reads back;
//   - the epilogue: the elementwise op that reads the product (bias,
//     activation, residual, an activation-gradient mask, an SGD update of
//     the weight whose gradient the product is), computed on the tile right
//     after its last k block, while the tile is in registers, and written in
//     place of C.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_CODEGEN_CPU_MATMULEPILOGUES_H
#define KILN_CODEGEN_CPU_MATMULEPILOGUES_H

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/Dominance.h"
#include "mlir/IR/PatternMatch.h"

#include <optional>

namespace kiln {
namespace cpu {

/// An elementwise linalg.generic that a GEMM kernel can compute on its
/// register tiles instead of C.
struct MatmulEpilogue {
  mlir::linalg::GenericOp op;
  /// The input of `op` that is the product.
  unsigned productInput;
  /// The result of `op` written in place of C (the one whose destination
  /// is the product, else the first). The others (Adam's moments next to
  /// the weight, a saved mask next to an activation) are extra results of
  /// the kernel, written on the same register tiles.
  unsigned mainResult;
  /// The reshape `op` reads the product through (splitting batch or row
  /// dims, not the columns), if any.
  mlir::tensor::ExpandShapeOp expand;
  /// The last op, after the matmul in its block, that defines an input of
  /// `op` (null when all are defined before the matmul): the matmul moves
  /// after it, since the kernel computes the epilogue where the matmul is.
  mlir::Operation *lastInputDef;
};

/// When the product of `matmul` is read through an expand_shape that splits
/// its columns ([C, H*W] -> [1, C, H, W], a convolution's image) by one
/// all-parallel generic whose maps keep the split dims together, collapses
/// those dims of the generic, so that it reads the product with its columns
/// whole and can be the kernel's epilogue. Otherwise leaves the IR as is
/// (but for broadcast inputs read through collapses of their unit dims, if
/// upstream's collapsing fails after its own preconditions held).
void joinSplitColumns(mlir::RewriterBase &rewriter,
                      mlir::linalg::LinalgOp matmul);

/// The epilogue of `matmul` (a linalg.matmul or batch_matmul on tensors),
/// if its product (directly or through an expand_shape that leaves the
/// columns whole) has exactly one reader that can be computed in place of
/// C: an all-parallel generic whose results all have the (reshaped)
/// product's shape and the identity map, reading the product through the
/// identity map, not reading its outputs, without `linalg.index`, whose
/// other inputs and results are at least 8 bits wide and indexed by
/// projected permutations. Inputs defined after `matmul` are allowed when
/// the reader is in the same block and no op in between writes into a
/// tensor the matmul reads (its operands would then be copied to move it).
std::optional<MatmulEpilogue> findMatmulEpilogue(mlir::linalg::LinalgOp matmul,
                                                 mlir::DominanceInfo &dom);

/// Moves `matmul` (and the reshape the epilogue reads it through) after
/// the epilogue's last input definition, if any, so that the kernel built
/// in its place can read every input of the epilogue.
void placeMatmulForEpilogue(mlir::linalg::LinalgOp matmul,
                            const MatmulEpilogue &epilogue);

/// Where a kernel's register tile lies, as the kernel's tiling left it.
struct RegisterTile {
  /// The reduction loop over the tile. The loop around it yields C viewed
  /// as [batch?, M, N1, nr] (local to the enclosing cache block) with the
  /// tile written, then the epilogue's other results in the same layout.
  mlir::scf::ForOp kLoop;
  /// Offsets and sizes of the tile in that local C ([batch?, m, n1, 0],
  /// [1?, mr, 1, nr]).
  llvm::SmallVector<mlir::OpFoldResult> localOffsets;
  llvm::SmallVector<int64_t> localSizes;
  /// Offsets and sizes of the tile in the product ([batch?, m, n],
  /// [1?, mr, nr]).
  llvm::SmallVector<mlir::Value> offsets;
  llvm::SmallVector<int64_t> sizes;
  /// True on the first and on the last k block of the tile (null: one k
  /// block only).
  mlir::Value isFirstBlock, isLastBlock;
};

/// Writes `value` (a scalar defined before the kernel) into `tile` before
/// its first k block, in place of a fill of C. Failure, with nothing
/// changed, when the loop nest is not the expected one.
mlir::LogicalResult emitInitOnTile(mlir::RewriterBase &rewriter,
                                   mlir::Value value, const RegisterTile &tile);

/// Computes `epilogue` on `tile` after its reduction loop (only on the last
/// k block: a branch on `isLastBlock` that yields vectors) and writes the main
/// result in place of the tile, and each other result into the tile of the
/// tensor that the loops carry after C, in the order of the results; the
/// epilogue op itself is left for the caller to replace. Failure, with nothing
/// changed, when the loop nest is not the expected one or a tile would straddle
/// the inner size of a reshaped row or batch dim.
mlir::LogicalResult emitEpilogueOnTile(mlir::RewriterBase &rewriter,
                                       const MatmulEpilogue &epilogue,
                                       const RegisterTile &tile);

} // namespace cpu
} // namespace kiln

#endif // KILN_CODEGEN_CPU_MATMULEPILOGUES_H
