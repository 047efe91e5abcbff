//===- TileInPlace.cpp - Tile a linalg op and replace it ------------------===//
//
// Part of the Kiln project: an MLIR compiler for training programs.
//
//===----------------------------------------------------------------------===//

#include "kiln/Codegen/CPU/TileInPlace.h"

#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "mlir/IR/PatternMatch.h"

using namespace mlir;

namespace kiln {
namespace cpu {

FailureOr<scf::SCFTilingResult> tileInPlace(RewriterBase &rewriter,
                                            TilingInterface target,
                                            ArrayRef<int64_t> sizes,
                                            bool forall,
                                            ArrayRef<int64_t> interchange) {
  scf::SCFTilingOptions options;
  options.setLoopType(forall ? scf::SCFTilingOptions::LoopType::ForallOp
                             : scf::SCFTilingOptions::LoopType::ForOp);
  options.setTileSizes(getAsIndexOpFoldResult(target->getContext(), sizes));
  if (!interchange.empty())
    options.setInterchange(interchange);
  rewriter.setInsertionPoint(target);
  FailureOr<scf::SCFTilingResult> result =
      scf::tileUsingSCF(rewriter, target, options);
  if (succeeded(result))
    rewriter.replaceOp(target, result->replacements);
  return result;
}

} // namespace cpu
} // namespace kiln
