//===- KilnToLinalg.h - Lowering of kiln ops to linalg ----------*- C++ -*-===//
//
// Part of the Kiln project: an MLIR compiler for training programs.
//
//===----------------------------------------------------------------------===//
//
// Patterns that rewrite every kiln op into upstream ops on tensors: linalg
// named ops (matmul, batch_matmul, conv_2d_nchw_fchw, conv_2d_ngchw_gfchw,
// pooling_nchw_max/sum, transpose, reduce), linalg.generic for elementwise
// math, broadcasts and gathers, tensor ops for data movement, arith and math
// for scalars. Shapes must be static: a pattern fails to match an op with a
// dynamic dimension.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_CONVERSION_KILNTOLINALG_KILNTOLINALG_H
#define KILN_CONVERSION_KILNTOLINALG_KILNTOLINALG_H

#include "mlir/Support/LLVM.h"
#include "llvm/ADT/StringRef.h"

namespace mlir {
class ConversionTarget;
class ModuleOp;
class Operation;
class RewritePatternSet;
} // namespace mlir

namespace kiln {

/// Adds the patterns that lower every kiln op (a kiln.fusion_group is
/// inlined, unfused; convert-kiln-to-linalg fuses it instead, see
/// fuseAndInlineFusionGroups). They are conversion patterns
/// without a type converter (types do not change); use them with
/// `applyPartialConversion` (or the full conversion driver). Unsigned
/// `ui<N>` element types survive them (scalar bodies compute with the
/// unsigned arith ops on `ui<N>` values): call eraseIntegerSignedness on
/// the module afterwards to make the IR valid upstream IR.
void populateKilnToLinalgPatterns(mlir::RewritePatternSet &patterns);

/// The unit attribute that marks a function argument or result whose
/// element type was an unsigned `ui<N>` before eraseIntegerSignedness made
/// it `i<N>`; the CPU JIT binds unsigned data (ONNX uint8, ...) to it.
inline constexpr llvm::StringLiteral kUnsignedAttrName = "kiln.unsigned";

/// Rewrites every `ui<N>` and `si<N>` in the types and attributes of
/// `module` to `i<N>`, after marking unsigned tensor arguments and results
/// of its functions with kUnsignedAttrName. The last step of
/// convert-kiln-to-linalg.
void eraseIntegerSignedness(mlir::ModuleOp module);

/// The discardable attribute (an i64 id, one per group in a module) that
/// convert-kiln-to-linalg{mark-fusion-groups} puts on every op inlined from
/// a lowered kiln.fusion_group, so that code generation can still treat the
/// group's ops as one unit (kiln-cpu-tile-fusion-groups computes a
/// reduction group tile by tile, then removes the marks).
inline constexpr llvm::StringLiteral kFusionGroupAttrName = "kiln.fusion_group";

/// For each kiln.fusion_group in `module` whose body has been lowered (the
/// group and its kiln.yield kept legal during conversion): fuses the body's
/// linalg ops into as few loop nests as possible and inlines the body in
/// place of the group, each of its ops marked with kFusionGroupAttrName
/// when `markGroups` is set. Groups whose body still holds kiln ops are
/// inlined unfused. Part of convert-kiln-to-linalg.
mlir::LogicalResult fuseAndInlineFusionGroups(mlir::ModuleOp module,
                                              bool markGroups = false);

/// Marks the kiln dialect illegal and the dialects the patterns produce
/// (linalg, tensor, arith, math) legal.
void configureKilnToLinalgTarget(mlir::ConversionTarget &target);

/// Checks, before conversion, that `op` (a kiln op) can be lowered: static
/// shapes and supported element types. Emits an error at the op naming it
/// and the reason, and fails, if not.
mlir::LogicalResult checkKilnOpLowerable(mlir::Operation *op);

} // namespace kiln

#endif // KILN_CONVERSION_KILNTOLINALG_KILNTOLINALG_H
