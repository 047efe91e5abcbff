//===- MatmulKernels.cpp - Packed, tiled, vectorized CPU matmuls ----------===//
//
// Part of the Kiln project: an MLIR compiler for training programs.
//
//===----------------------------------------------------------------------===//
//
// The kiln-cpu-matmul-kernels pass (dialects/Conversion/Passes.td). For
//   %c = linalg.matmul ins(%a, %b : tensor<MxK>, tensor<KxN>) outs(%init)
// it builds, on tensors,
//   %b3 = tensor.expand_shape %b [K, N/nr, nr]
//   %bp = linalg.transpose %b3 -> [N/nr, K, nr]        // packed panels
//   %c3 = tensor.expand_shape %init [M, N/nr, nr]
//   %r  = linalg.generic (n1, m, k, n0)  A(m,k) Bp(n1,k,n0) C(m,n1,n0)
//   %c  = tensor.collapse_shape %r [M, N]
// and tiles the generic:
//   scf.forall (thread tile)
//     scf.for k0 step kc, scf.for m0 step mc      (cache blocks)
//       scf.for n1, scf.for m step mr              (register tiles)
//         acc = transfer_read C[m:m+mr, n1, 0:nr]  (hoisted out of k)
//         scf.for k: acc = vector.contract(A[m:m+mr, k], Bp[n1, k, :], acc)
//         transfer_write acc
// The packing transpose is tiled and vectorized the same way. A B already
// laid out [K, N] that stays in cache (below pack-min-bytes: an image's
// im2col) is not packed: the generic reads %b3 = [K, N/nr, nr] in place.
// Batch matmuls carry a leading batch dimension through all of it.
//
//===----------------------------------------------------------------------===//

#include "kiln/Dialect/Kiln/Annotations.h"
#include "kiln/Support/ThreadCount.h"
#include "kiln/Codegen/CPU/MatmulEpilogues.h"
#include "kiln/Codegen/CPU/TileInPlace.h"
#include "kiln/Codegen/CPU/VectorizeInPlace.h"
#include "kiln/Conversion/Passes.h"

#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/SparseTensor/IR/SparseTensor.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Interfaces/TilingInterface.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"
#include "mlir/Transforms/LoopInvariantCodeMotionUtils.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/bit.h"

#include <functional>

namespace kiln {
#define GEN_PASS_DEF_KILNCPUMATMULKERNELS
#include "kiln/Dialect/Conversion/Passes.h.inc"
} // namespace kiln

using namespace mlir;

namespace {

/// f32 lanes of the widest vector register the kernels are tuned for
/// (AVX-512); on narrower ISAs every vector splits evenly, so the choices
/// that depend on it still hold.
constexpr int64_t kVectorLanes = 16;

int64_t ceilDiv(int64_t a, int64_t b) { return (a + b - 1) / b; }

/// Whether an operand of `op` has a sparse_tensor encoding (the sparse
/// compiler's, not a GEMM kernel's).
bool hasSparseOperand(Operation *op) {
  return llvm::any_of(op->getOperandTypes(), [](Type t) {
    return static_cast<bool>(sparse_tensor::getSparseTensorEncoding(t));
  });
}

/// The largest divisor of `n` that is at most `cap` (at least 1).
int64_t largestDivisorAtMost(int64_t n, int64_t cap) {
  for (int64_t d = std::min(n, std::max<int64_t>(cap, 1)); d > 1; --d)
    if (n % d == 0)
      return d;
  return 1;
}

/// Position of loop dimension `dim` among the results of `map`.
std::optional<unsigned> resultPos(AffineMap map, unsigned dim) {
  for (auto [i, e] : llvm::enumerate(map.getResults()))
    if (auto d = dyn_cast<AffineDimExpr>(e); d && d.getPosition() == dim)
      return i;
  return std::nullopt;
}

/// The loop dimensions of a matmul-like op: batch (optional), m, n, k.
struct MatmulDims {
  std::optional<unsigned> batch;
  unsigned m, n, k;
};

struct KernelConfig {
  int64_t mr, nr, kc, mc, threads, packMinBytes;
};

/// Vector instructions per k step of a register-tiled M x N product whose
/// rows are `lanes`-wide vectors along N: a vector of w lanes is legalized
/// into w / lanes full vectors plus one per set bit of the rest (27 lanes
/// become 16 + 8 + 2 + 1, with shuffles to assemble them).
int64_t vectorOpsPerStep(int64_t M, int64_t N, int64_t lanes) {
  return M * (N / lanes + llvm::popcount(static_cast<uint64_t>(N % lanes)));
}

/// Whether computing C^T = B^T A^T fills the vectors much better than
/// C = A B: a product with few, odd columns and many rows (the filter
/// gradient of a 3-channel convolution is 32 x 27; a classifier's is
/// 64 x 10) vectorizes along its rows instead.
bool transposingPays(int64_t M, int64_t N, int64_t lanes) {
  return 4 * vectorOpsPerStep(N, M, lanes) < 3 * vectorOpsPerStep(M, N, lanes);
}

/// Appends each tiled dim's induction variable (its offset in the tiled op,
/// itself a tile of the level above) to `offsets[dim]`; false when the nest
/// does not have one per tiled dim.
bool recordTileOffsets(const scf::SCFTilingResult &tiled,
                       ArrayRef<int64_t> sizes, ArrayRef<int64_t> interchange,
                       SmallVectorImpl<SmallVector<Value>> &offsets) {
  SmallVector<int64_t> order =
      interchange.empty()
          ? llvm::to_vector(llvm::seq<int64_t>(0, sizes.size()))
          : llvm::to_vector(interchange);
  SmallVector<int64_t> dims;
  for (int64_t d : order)
    if (sizes[d] != 0)
      dims.push_back(d);
  SmallVector<Value> ivs;
  for (LoopLikeOpInterface loop : tiled.loops) {
    std::optional<SmallVector<Value>> loopIvs = loop.getLoopInductionVars();
    if (!loopIvs)
      return false;
    ivs.append(*loopIvs);
  }
  if (ivs.size() != dims.size())
    return false;
  for (auto [d, iv] : llvm::zip(dims, ivs))
    offsets[d].push_back(iv);
  return true;
}

/// Rewrites the matmul-like `op` (C = A B over `dims`) as
///   %ct = linalg.transpose %init                    // [batch?, N, M]
///   %rt = linalg.generic ins(%b, %a) outs(%ct)      // C^T = B^T A^T
///   %c  = linalg.transpose %rt -> %init            // [batch?, M, N]
/// and returns the generic, whose m and n are `op`'s n and m (`dims` is
/// updated). Each product is the same pair of factors, so the numbers are
/// the same.
linalg::GenericOp transposeProduct(RewriterBase &rewriter, linalg::LinalgOp op,
                                   MatmulDims &dims) {
  Location loc = op.getLoc();
  rewriter.setInsertionPoint(op);
  Value a = op.getDpsInputOperand(0)->get();
  Value b = op.getDpsInputOperand(1)->get();
  Value init = op.getDpsInitOperand(0)->get();
  auto cType = cast<RankedTensorType>(init.getType());
  unsigned rank = cType.getRank(); // 2, or 3 with a batch dim first.
  SmallVector<int64_t> perm = llvm::to_vector(llvm::seq<int64_t>(0, rank));
  std::swap(perm[rank - 2], perm[rank - 1]);
  SmallVector<int64_t> tShape = llvm::to_vector(cType.getShape());
  std::swap(tShape[rank - 2], tShape[rank - 1]);
  Type f32 = cType.getElementType();
  Value ctInit = tensor::EmptyOp::create(rewriter, loc, tShape, f32);
  Value ct =
      linalg::TransposeOp::create(rewriter, loc, init, ctInit, perm)
          ->getResult(0);

  SmallVector<AffineMap> maps = op.getIndexingMapsArray();
  AffineMap cMap = maps[2];
  SmallVector<AffineExpr> ctExprs = llvm::to_vector(cMap.getResults());
  std::swap(ctExprs[rank - 2], ctExprs[rank - 1]);
  AffineMap ctMap =
      AffineMap::get(cMap.getNumDims(), 0, ctExprs, op.getContext());
  auto product = linalg::GenericOp::create(
      rewriter, loc, TypeRange{ct.getType()}, ValueRange{b, a},
      ValueRange{ct}, {maps[1], maps[0], ctMap},
      op.getIteratorTypesArray(),
      [](OpBuilder &bld, Location l, ValueRange args) {
        Value p = arith::MulFOp::create(bld, l, args[0], args[1]);
        Value s = arith::AddFOp::create(bld, l, args[2], p);
        linalg::YieldOp::create(bld, l, s);
      });
  // Back into `init` (read above, before this write): C stays in place,
  // e.g. as the loop-carried accumulator of a tiled reduction.
  Value c = linalg::TransposeOp::create(rewriter, loc, product->getResult(0),
                                        init, perm)
                ->getResult(0);
  rewriter.replaceOp(op, c);
  std::swap(dims.m, dims.n);
  return product;
}

/// `micro` with only its first output, the product: the others pass
/// through unchanged (the epilogue's extra results, which the epilogue
/// writes after the k loop) and are replaced by their destinations.
linalg::GenericOp withoutPassThroughOutputs(RewriterBase &rewriter,
                                            linalg::GenericOp micro) {
  if (micro.getNumDpsInits() == 1)
    return micro;
  rewriter.setInsertionPoint(micro);
  SmallVector<AffineMap> maps = micro.getIndexingMapsArray();
  maps.resize(micro.getNumDpsInputs() + 1);
  Value c = micro.getDpsInitOperand(0)->get();
  auto product = linalg::GenericOp::create(
      rewriter, micro.getLoc(), TypeRange{c.getType()}, micro.getDpsInputs(),
      ValueRange{c}, maps, micro.getIteratorTypesArray());
  rewriter.cloneRegionBefore(micro.getRegion(), product.getRegion(),
                             product.getRegion().end());
  Block *body = product.getBody();
  auto yield = cast<linalg::YieldOp>(body->getTerminator());
  rewriter.modifyOpInPlace(
      yield, [&] { yield->eraseOperands(1, yield->getNumOperands() - 1); });
  unsigned numArgs = micro.getNumDpsInputs() + 1;
  body->eraseArguments(numArgs, body->getNumArguments() - numArgs);
  SmallVector<Value> replacements = {product->getResult(0)};
  for (OpOperand &init : llvm::drop_begin(micro.getDpsInitsMutable()))
    replacements.push_back(init.get());
  rewriter.replaceOp(micro, replacements);
  return product;
}

class MatmulKernelsPass
    : public kiln::impl::KilnCPUMatmulKernelsBase<MatmulKernelsPass> {
public:
  using KilnCPUMatmulKernelsBase::KilnCPUMatmulKernelsBase;
  void runOnOperation() override;

private:
  /// Whether `op` is an f32 matmul or batch matmul with static shapes that
  /// the kernel handles; fills `dims`.
  bool matches(linalg::LinalgOp op, MatmulDims &dims);
  /// Rewrites one (already split, divisible) matmul, with `epilogue` (if
  /// any) computed on its register tiles (`fusedEpilogue` says whether it
  /// was; `extraResults` are then the epilogue's results other than the
  /// main one, in order, shaped like the product); returns failure when a
  /// transformation step did not apply (the IR is then still valid).
  LogicalResult buildKernel(RewriterBase &rewriter, linalg::LinalgOp op,
                            const MatmulDims &dims, const KernelConfig &cfg,
                            const kiln::cpu::MatmulEpilogue *epilogue,
                            bool &fusedEpilogue,
                            SmallVectorImpl<Value> &extraResults);
};

bool MatmulKernelsPass::matches(linalg::LinalgOp op, MatmulDims &dims) {
  if (!isa<linalg::MatmulOp, linalg::BatchMatmulOp>(op.getOperation()))
    return false;
  if (!op.hasPureTensorSemantics() || op.hasDynamicShape())
    return false;
  if (op.getNumDpsInputs() != 2 || op.getNumDpsInits() != 1)
    return false;
  for (OpOperand &operand : op->getOpOperands())
    if (!getElementTypeOrSelf(operand.get().getType()).isF32())
      return false;
  FailureOr<linalg::ContractionDimensions> cd =
      linalg::inferContractionDims(op);
  if (failed(cd) || cd->m.size() != 1 || cd->n.size() != 1 ||
      cd->k.size() != 1 || cd->batch.size() > 1)
    return false;
  dims.m = cd->m[0];
  dims.n = cd->n[0];
  dims.k = cd->k[0];
  if (!cd->batch.empty())
    dims.batch = cd->batch[0];
  // Every map a permutation of its operand's dims; C is (batch, m, n).
  SmallVector<AffineMap> maps = op.getIndexingMapsArray();
  for (AffineMap map : maps)
    if (!map.isProjectedPermutation())
      return false;
  AffineMap cMap = maps[2];
  SmallVector<unsigned> cDims;
  if (dims.batch)
    cDims.push_back(*dims.batch);
  cDims.append({dims.m, dims.n});
  if (cMap.getNumResults() != cDims.size())
    return false;
  for (auto [i, d] : llvm::enumerate(cDims))
    if (resultPos(cMap, d) != i)
      return false;
  return true;
}

LogicalResult MatmulKernelsPass::buildKernel(
    RewriterBase &rewriter, linalg::LinalgOp op, const MatmulDims &dims,
    const KernelConfig &cfg, const kiln::cpu::MatmulEpilogue *epilogue,
    bool &fusedEpilogue, SmallVectorImpl<Value> &extraResults) {
  fusedEpilogue = false;
  extraResults.clear();
  Location loc = op.getLoc();
  MLIRContext *ctx = op.getContext();
  Type f32 = rewriter.getF32Type();
  SmallVector<int64_t> ranges = op.getStaticLoopRanges();
  int64_t M = ranges[dims.m], N = ranges[dims.n], K = ranges[dims.k];
  int64_t batch = dims.batch ? ranges[*dims.batch] : 1;
  int64_t nr = cfg.nr, mr = cfg.mr;
  int64_t N1 = N / nr;
  SmallVector<AffineMap> maps = op.getIndexingMapsArray();
  Value a = op.getDpsInputOperand(0)->get();
  Value b = op.getDpsInputOperand(1)->get();
  Value init = op.getDpsInitOperand(0)->get();
  rewriter.setInsertionPoint(op);

  // --- Pack B: expand N into (N1, nr), transpose to [batch?, N1, K, nr]. --
  AffineMap bMap = maps[1];
  auto bType = cast<RankedTensorType>(b.getType());
  unsigned bPosN = *resultPos(bMap, dims.n);
  SmallVector<int64_t> b3Shape;
  SmallVector<ReassociationIndices> b3Re;
  // What each dim of the expanded B is: 'b', 'k', '1' (n1), '0' (n0).
  SmallVector<char> b3Kind;
  for (unsigned i = 0; i < bMap.getNumResults(); ++i) {
    unsigned d = cast<AffineDimExpr>(bMap.getResult(i)).getPosition();
    if (i == bPosN) {
      b3Re.push_back({(int64_t)b3Shape.size(), (int64_t)b3Shape.size() + 1});
      b3Shape.append({N1, nr});
      b3Kind.append({'1', '0'});
      continue;
    }
    b3Re.push_back({(int64_t)b3Shape.size()});
    b3Shape.push_back(bType.getDimSize(i));
    b3Kind.push_back(d == dims.k ? 'k' : 'b');
  }
  Value b3 = tensor::ExpandShapeOp::create(
      rewriter, loc, RankedTensorType::get(b3Shape, f32), b, b3Re);
  // Already [batch?, K, N] and small enough to stay in cache: the kernel
  // reads B[k, n1, :] in place (each row of a panel is contiguous; only
  // the stride between rows differs from a packed panel).
  SmallVector<char> inPlaceKind;
  if (dims.batch)
    inPlaceKind.push_back('b');
  inPlaceKind.append({'k', '1', '0'});
  bool packB = !(b3Kind == inPlaceKind &&
                 K * N * static_cast<int64_t>(sizeof(float)) <
                     cfg.packMinBytes);
  SmallVector<char> bpKind;
  if (dims.batch)
    bpKind.push_back('b');
  bpKind.append({'1', 'k', '0'});
  SmallVector<int64_t> perm, bpShape;
  for (char kind : bpKind) {
    int64_t src = llvm::find(b3Kind, kind) - b3Kind.begin();
    perm.push_back(src);
    bpShape.push_back(b3Shape[src]);
  }
  linalg::TransposeOp pack;
  Value bp = b3;
  if (packB) {
    Value bpInit = tensor::EmptyOp::create(rewriter, loc, bpShape, f32);
    pack = linalg::TransposeOp::create(rewriter, loc, b3, bpInit, perm);
    bp = pack->getResult(0);
    ++numPackedPanels;
  } else {
    ++numInPlaceB;
  }

  // --- C viewed as [batch?, M, N1, nr]. ------------------------------------
  SmallVector<int64_t> c3Shape;
  SmallVector<ReassociationIndices> c3Re;
  if (dims.batch) {
    c3Re.push_back({0});
    c3Shape.push_back(batch);
  }
  int64_t base = c3Shape.size();
  c3Re.push_back({base});
  c3Re.push_back({base + 1, base + 2});
  c3Shape.append({M, N1, nr});
  auto c3Type = RankedTensorType::get(c3Shape, f32);
  auto c3Op =
      tensor::ExpandShapeOp::create(rewriter, loc, c3Type, init, c3Re);
  Value c3 = c3Op;

  // --- The generic over (batch?, n1, m, k, n0). --------------------------
  unsigned nb = dims.batch ? 1 : 0;
  unsigned dB = 0, dN1 = nb, dM = nb + 1, dK = nb + 2, dN0 = nb + 3;
  unsigned numDims = nb + 4;
  auto dim = [&](unsigned d) { return getAffineDimExpr(d, ctx); };
  auto mapDim = [&](unsigned old) -> unsigned {
    if (dims.batch && old == *dims.batch)
      return dB;
    if (old == dims.m)
      return dM;
    return dK; // A holds only batch, m and k.
  };
  SmallVector<AffineExpr> aExprs, bExprs, cExprs;
  for (AffineExpr e : maps[0].getResults())
    aExprs.push_back(dim(mapDim(cast<AffineDimExpr>(e).getPosition())));
  if (dims.batch) {
    bExprs.push_back(dim(dB));
    cExprs.push_back(dim(dB));
  }
  if (packB)
    bExprs.append({dim(dN1), dim(dK), dim(dN0)});
  else
    bExprs.append({dim(dK), dim(dN1), dim(dN0)});
  cExprs.append({dim(dM), dim(dN1), dim(dN0)});
  SmallVector<AffineMap> newMaps = {
      AffineMap::get(numDims, 0, aExprs, ctx),
      AffineMap::get(numDims, 0, bExprs, ctx),
      AffineMap::get(numDims, 0, cExprs, ctx)};
  SmallVector<utils::IteratorType> iters(numDims,
                                         utils::IteratorType::parallel);
  iters[dK] = utils::IteratorType::reduction;
  // The epilogue's other results, fresh tensors in C's layout, ride along
  // as outputs the product passes through unchanged: the tiling threads
  // them through every loop to the register tiles, where the epilogue
  // writes them.
  SmallVector<Value> outs = {c3};
  if (epilogue) {
    auto cType = cast<RankedTensorType>(init.getType());
    for (OpResult result : epilogue->op->getResults()) {
      if (result.getResultNumber() == epilogue->mainResult)
        continue;
      Type elt = getElementTypeOrSelf(result.getType());
      Value empty =
          tensor::EmptyOp::create(rewriter, loc, cType.getShape(), elt);
      outs.push_back(tensor::ExpandShapeOp::create(
          rewriter, loc, RankedTensorType::get(c3Shape, elt), empty, c3Re));
      newMaps.push_back(newMaps.back());
    }
  }
  auto generic = linalg::GenericOp::create(
      rewriter, loc, ValueRange(outs).getTypes(), ValueRange{a, bp}, outs,
      newMaps, iters, [](OpBuilder &bld, Location l, ValueRange args) {
        // `contract` lets LLVM fuse the pair into one FMA per element.
        auto contract = arith::FastMathFlags::contract;
        Value p = arith::MulFOp::create(bld, l, args[0], args[1], contract);
        Value s = arith::AddFOp::create(bld, l, args[2], p, contract);
        SmallVector<Value> yielded = {s};
        llvm::append_range(yielded, args.drop_front(3));
        linalg::YieldOp::create(bld, l, yielded);
      });
  SmallVector<Value> collapsed;
  for (Value result : generic->getResults()) {
    auto type = cast<RankedTensorType>(result.getType());
    auto flat = RankedTensorType::get(
        cast<RankedTensorType>(op->getResult(0).getType()).getShape(),
        type.getElementType());
    collapsed.push_back(
        tensor::CollapseShapeOp::create(rewriter, loc, flat, result, c3Re));
  }
  rewriter.replaceOp(op, collapsed.front());

  // --- Tile: threads. ------------------------------------------------------
  auto tile = [&](TilingInterface target, ArrayRef<int64_t> sizes,
                  bool forall, ArrayRef<int64_t> interchange = {}) {
    return kiln::cpu::tileInPlace(rewriter, target, sizes, forall,
                                  interchange);
  };

  // Extents of the current tile in each dim (m stays static by construction).
  SmallVector<int64_t> extent(numDims);
  if (dims.batch)
    extent[dB] = batch;
  extent[dN1] = N1;
  extent[dM] = M;
  extent[dK] = K;
  extent[dN0] = nr;

  TilingInterface current = cast<TilingInterface>(generic.getOperation());
  // Each dim's offset at every tiling level (the epilogue's tile position
  // is their sum); `offsetsKnown` is false if a nest had no plain IVs.
  SmallVector<SmallVector<Value>> offsets(numDims);
  bool offsetsKnown = true;
  // Tiles `current` by `sizes` when any is non-zero; `current` becomes the
  // tile.
  auto tileCurrent = [&](ArrayRef<int64_t> sizes, bool forall,
                         ArrayRef<int64_t> interchange = {}) -> LogicalResult {
    if (llvm::all_of(sizes, [](int64_t s) { return s == 0; }))
      return success();
    auto tiled = tile(current, sizes, forall, interchange);
    if (failed(tiled))
      return failure();
    offsetsKnown &= recordTileOffsets(*tiled, sizes, interchange, offsets);
    current = cast<TilingInterface>(tiled->tiledOps.front());
    return success();
  };
  if (cfg.threads > 1) {
    SmallVector<int64_t> sizes(numDims, 0);
    if (dims.batch && batch >= cfg.threads) {
      sizes[dB] = ceilDiv(batch, cfg.threads);
    } else if (N1 >= cfg.threads) {
      sizes[dN1] = ceilDiv(N1, cfg.threads);
      extent[dN1] = sizes[dN1];
    } else if (M / mr >= 2) {
      int64_t m1 = M / mr;
      sizes[dM] = mr * largestDivisorAtMost(m1, ceilDiv(m1, cfg.threads));
      extent[dM] = sizes[dM];
    }
    if (failed(tileCurrent(sizes, /*forall=*/true)))
      return failure();
  }

  // --- Cache blocks: k0 (kc), then m0 (mc); batch one at a time. ---------
  {
    SmallVector<int64_t> sizes(numDims, 0);
    if (dims.batch)
      sizes[dB] = 1;
    if (K > cfg.kc)
      sizes[dK] = cfg.kc;
    int64_t m1 = extent[dM] / mr;
    int64_t mcRows = mr * largestDivisorAtMost(m1, std::max<int64_t>(
                                                       cfg.mc / mr, 1));
    if (mcRows < extent[dM])
      sizes[dM] = mcRows;
    SmallVector<int64_t> interchange;
    if (dims.batch)
      interchange.push_back(dB);
    interchange.append({dK, dM, dN1, dN0});
    if (failed(tileCurrent(sizes, /*forall=*/false, interchange)))
      return failure();
  }
  // The cache block loop over k, if K spans several blocks.
  Value k0 = offsets[dK].empty() ? Value() : offsets[dK].front();

  // --- Register tiles: n1, m (mr), k (1). ---------------------------------
  SmallVector<int64_t> sizes(numDims, 0);
  if (dims.batch)
    sizes[dB] = 1;
  sizes[dN1] = 1;
  sizes[dM] = mr;
  sizes[dK] = 1;
  auto tiled = tile(current, sizes, /*forall=*/false);
  if (failed(tiled))
    return failure();
  offsetsKnown &= recordTileOffsets(*tiled, sizes, {}, offsets);
  auto micro = cast<linalg::GenericOp>(tiled->tiledOps.front());
  micro = withoutPassThroughOutputs(rewriter, micro);
  auto kLoop = tiled->loops.empty()
                   ? scf::ForOp()
                   : dyn_cast<scf::ForOp>(tiled->loops.back().getOperation());

  // Drop the unit batch and n1 dims: a (m, k, n0) matmul of mr x 1 x nr.
  linalg::ControlDropUnitDims control;
  control.rankReductionStrategy =
      linalg::ControlDropUnitDims::RankReductionStrategy::ExtractInsertSlice;
  control.controlFn = [&](Operation *) {
    SmallVector<unsigned> drop;
    if (dims.batch)
      drop.push_back(dB);
    drop.push_back(dN1);
    return drop;
  };
  rewriter.setInsertionPoint(micro);
  FailureOr<linalg::DropUnitDimsResult> dropped =
      linalg::dropUnitDims(rewriter, micro, control);
  if (failed(dropped))
    return failure();
  rewriter.replaceOp(micro, dropped->replacements);
  Operation *kernelOp = dropped->resultOp.getOperation();

  if (failed(kiln::cpu::vectorizeInPlace(rewriter, kernelOp,
                                         /*namedContraction=*/true)))
    return failure();

  // The accumulator stays in registers across k (the loop is rebuilt when
  // it moves out).
  if (kLoop)
    kLoop = cast<scf::ForOp>(
        hoistLoopInvariantSubsets(
            rewriter, cast<LoopLikeOpInterface>(kLoop.getOperation()))
            .getOperation());

  // --- Prologue and epilogue on each register tile. ----------------------
  // C that starts as a fill: each tile starts from the fill's value,
  // written before its first k block, and C from the fill's destination,
  // so the whole of C is not filled and read back.
  auto fill = init.getDefiningOp<linalg::FillOp>();
  if ((fill || epilogue) && kLoop && offsetsKnown) {
    kiln::cpu::RegisterTile regTile;
    regTile.kLoop = kLoop;
    auto sumOf = [&](ArrayRef<Value> parts) -> Value {
      Value sum = parts.front();
      for (Value part : parts.drop_front())
        sum = arith::AddIOp::create(rewriter, loc, sum, part);
      return sum;
    };
    rewriter.setInsertionPointAfter(kLoop);
    if (dims.batch) {
      regTile.localOffsets.push_back(offsets[dB].back());
      regTile.localSizes.push_back(1);
      regTile.offsets.push_back(sumOf(offsets[dB]));
      regTile.sizes.push_back(1);
    }
    regTile.localOffsets.append({offsets[dM].back(), offsets[dN1].back(),
                                 rewriter.getIndexAttr(0)});
    regTile.localSizes.append({mr, 1, nr});
    Value n1 = sumOf(offsets[dN1]);
    Value nrValue = arith::ConstantIndexOp::create(rewriter, loc, nr);
    regTile.offsets.append({sumOf(offsets[dM]),
                            arith::MulIOp::create(rewriter, loc, n1, nrValue)});
    regTile.sizes.append({mr, nr});
    if (k0) {
      // Before the loop around the reduction: the prologue goes first in
      // its body.
      rewriter.setInsertionPoint(kLoop->getParentOp());
      auto index = [&](int64_t v) {
        return arith::ConstantIndexOp::create(rewriter, loc, v);
      };
      regTile.isFirstBlock = arith::CmpIOp::create(
          rewriter, loc, arith::CmpIPredicate::eq, k0, index(0));
      Value end = arith::AddIOp::create(rewriter, loc, k0, index(cfg.kc));
      regTile.isLastBlock = arith::CmpIOp::create(
          rewriter, loc, arith::CmpIPredicate::sge, end, index(K));
    }
    if (fill && succeeded(kiln::cpu::emitInitOnTile(
                    rewriter, fill.getInputs().front(), regTile))) {
      rewriter.modifyOpInPlace(c3Op, [&] {
        c3Op.getSrcMutable().assign(fill.getOutputs().front());
      });
      ++numTileInits;
    }
    if (epilogue)
      fusedEpilogue = succeeded(
          kiln::cpu::emitEpilogueOnTile(rewriter, *epilogue, regTile));
  }
  if (fusedEpilogue)
    extraResults.append(std::next(collapsed.begin()), collapsed.end());

  // --- Pack: tile and vectorize the transpose too. ------------------------
  if (packB) {
    unsigned rank = bpShape.size();
    SmallVector<int64_t> pSizes(rank, 0), vecSizes(rank, 1);
    // Threads over panels, then a block of k rows at a time.
    unsigned pN1 = nb, pK = nb + 1;
    if (cfg.threads > 1 && N1 >= cfg.threads) {
      pSizes[pN1] = ceilDiv(N1, cfg.threads);
      auto t = tile(cast<TilingInterface>(pack.getOperation()), pSizes, true);
      if (succeeded(t))
        pack = cast<linalg::TransposeOp>(t->tiledOps.front());
    }
    int64_t kt = largestDivisorAtMost(K, 8);
    SmallVector<int64_t> inner(rank, 1);
    inner[pK] = kt;
    inner[rank - 1] = 0;
    auto t = tile(cast<TilingInterface>(pack.getOperation()), inner, false);
    if (succeeded(t)) {
      // Left a loop nest if it does not vectorize.
      (void)kiln::cpu::vectorizeInPlace(rewriter, t->tiledOps.front());
    }
  }
  return success();
}

void MatmulKernelsPass::runOnOperation() {
  func::FuncOp func = getOperation();
  KernelConfig cfg{mr, nr, kc, mc,
                   kiln::resolveThreadCount(numThreads), packMinBytes};
  if (cfg.mr < 1 || cfg.nr < 1 || cfg.kc < 1 || cfg.mc < 1) {
    func.emitError("kiln-cpu-matmul-kernels: mr, nr, kc and mc must be >= 1");
    return signalPassFailure();
  }

  SmallVector<linalg::LinalgOp> candidates;
  func.walk([&](linalg::LinalgOp op) {
    // A weight marked sparse is kiln-cpu-sparse-weights' (which runs first
    // and unmarks the matmuls it cannot take); a sparse operand is the
    // sparse compiler's.
    if (op->hasAttr(kiln::kSparseWeightAttr) || hasSparseOperand(op))
      return;
    if (isa<linalg::MatmulOp, linalg::BatchMatmulOp>(op.getOperation()))
      candidates.push_back(op);
  });

  IRRewriter rewriter(&getContext());
  unsigned numBuilt = 0, numEpilogues = 0;
  // Builds the kernel of `op` with `c`'s register tile, narrowed to the
  // matmul when it has fewer rows or columns than one tile. Rows and
  // columns that do not fill a tile are split off and get kernels of their
  // own whose tile is exactly the remainder (vectors as wide as the
  // remaining columns), so no part of the product stays a scalar loop.
  // `epilogue` is computed in the kernel when the matmul is one piece.
  bool fusedEpilogue = false;
  SmallVector<Value> extraResults;
  std::function<LogicalResult(linalg::LinalgOp, const MatmulDims &,
                              KernelConfig, const kiln::cpu::MatmulEpilogue *)>
      kernelize = [&](linalg::LinalgOp op, const MatmulDims &dims,
                      KernelConfig c,
                      const kiln::cpu::MatmulEpilogue *epilogue)
      -> LogicalResult {
    SmallVector<int64_t> ranges = op.getStaticLoopRanges();
    int64_t M = ranges[dims.m], N = ranges[dims.n];
    c.mr = std::min(c.mr, M);
    c.nr = std::min(c.nr, N);
    TilingInterface main = cast<TilingInterface>(op.getOperation());
    int64_t nMain = N - N % c.nr, mMain = M - M % c.mr;
    TilingInterface columns, rows;
    rewriter.setInsertionPoint(main);
    if (nMain < N) {
      auto [first, second] = linalg::splitOp(
          rewriter, main, dims.n, rewriter.getIndexAttr(nMain));
      if (!first || !second)
        return success(); // Left as it is.
      main = first;
      columns = second;
      ++numSplitRemainders;
    }
    if (mMain < M) {
      rewriter.setInsertionPoint(main);
      auto [first, second] = linalg::splitOp(
          rewriter, main, dims.m, rewriter.getIndexAttr(mMain));
      if (!first || !second)
        return success();
      main = first;
      rows = second;
      ++numSplitRemainders;
    }
    auto mainOp = cast<linalg::LinalgOp>(main.getOperation());
    if (!mainOp.hasPureTensorSemantics() || mainOp.hasDynamicShape())
      return success();
    if (columns || rows)
      epilogue = nullptr;
    if (failed(buildKernel(rewriter, mainOp, dims, c, epilogue, fusedEpilogue,
                           extraResults)))
      return failure();
    ++numKernels;
    ++numBuilt;
    if (columns) {
      KernelConfig narrow = c;
      narrow.nr = N - nMain;
      if (failed(kernelize(cast<linalg::LinalgOp>(columns.getOperation()),
                           dims, narrow, nullptr)))
        return failure();
    }
    if (rows) {
      KernelConfig low = c;
      low.mr = M - mMain;
      if (failed(kernelize(cast<linalg::LinalgOp>(rows.getOperation()),
                           dims, low, nullptr)))
        return failure();
    }
    return success();
  };

  DominanceInfo dom(func);
  for (linalg::LinalgOp op : candidates) {
    MatmulDims dims;
    if (!matches(op, dims)) {
      ++numSkipped;
      continue;
    }
    SmallVector<int64_t> ranges = op.getStaticLoopRanges();
    int64_t M = ranges[dims.m], N = ranges[dims.n], K = ranges[dims.k];
    int64_t batch = dims.batch ? ranges[*dims.batch] : 1;
    if (K < 1 || 2 * batch * M * N * K < minFlops) {
      ++numSkipped;
      continue;
    }
    std::optional<kiln::cpu::MatmulEpilogue> epilogue;
    if (transposingPays(M, N, kVectorLanes)) {
      op = transposeProduct(rewriter, op, dims);
      ++numTransposed;
    } else if (fuseEpilogues) {
      kiln::cpu::joinSplitColumns(rewriter, op);
      epilogue = kiln::cpu::findMatmulEpilogue(op, dom);
      if (epilogue)
        kiln::cpu::placeMatmulForEpilogue(op, *epilogue);
    }
    fusedEpilogue = false;
    if (failed(kernelize(op, dims, cfg, epilogue ? &*epilogue : nullptr))) {
      func.emitError("kiln-cpu-matmul-kernels: could not build the kernel");
      return signalPassFailure();
    }
    // The kernel's result now holds the epilogue's values.
    if (fusedEpilogue) {
      linalg::GenericOp epilogueOp = epilogue->op;
      SmallVector<Value> results;
      rewriter.setInsertionPoint(epilogueOp);
      for (unsigned r = 0, extra = 0; r < epilogueOp->getNumResults(); ++r) {
        if (r == epilogue->mainResult) {
          results.push_back(
              epilogueOp.getDpsInputOperand(epilogue->productInput)->get());
          continue;
        }
        Value result = extraResults[extra++];
        if (tensor::ExpandShapeOp expand = epilogue->expand)
          result = tensor::ExpandShapeOp::create(
              rewriter, expand.getLoc(), epilogueOp->getResult(r).getType(),
              result, expand.getReassociationIndices());
        results.push_back(result);
      }
      rewriter.replaceOp(epilogueOp, results);
      ++numFusedEpilogues;
      ++numEpilogues;
    }
  }

  if (numBuilt == 0)
    return;
  // Statistics are compiled out of release LLVM builds; a remark says it
  // too (at the function's location: on an op it would print the op).
  emitRemark(func.getLoc())
      << "matmul-kernels: " << numBuilt << " kernels, " << numEpilogues
      << " with their elementwise epilogue on the register tiles";
  // Fold the tiling arithmetic (affine.min of static sizes, unit slices).
  // Not converging is harmless here: the IR is valid either way.
  auto canonicalize = [&] {
    RewritePatternSet patterns(&getContext());
    tensor::populateMergeConsecutiveInsertExtractSlicePatterns(patterns);
    for (Dialect *dialect : getContext().getLoadedDialects())
      dialect->getCanonicalizationPatterns(patterns);
    for (RegisteredOperationName name :
         getContext().getRegisteredOperations())
      name.getCanonicalizationPatterns(patterns, &getContext());
    (void)applyPatternsGreedily(func, std::move(patterns));
  };
  canonicalize();
  // Keep each register tile's accumulator in registers across the k loop:
  // its transfer_read/transfer_write pair on the loop-carried tile moves out
  // of the loop (post-order: innermost loops first). This runs after the
  // canonicalization, which leaves the pair on the iter_arg at constant
  // indices, the form the hoisting recognizes.
  func.walk([&](scf::ForOp loop) {
    (void)hoistLoopInvariantSubsets(
        rewriter, cast<LoopLikeOpInterface>(loop.getOperation()));
  });
  // Again, now that the accumulator's first read is out of the k loop: a
  // tile's initial value written just before is forwarded to the read
  // (and the write dropped, overwritten by the tile's final one).
  canonicalize();
  // The vectorizer rebuilds the accumulation without the kernel body's
  // fastmath flags; put `contract` back where the addend is a contractable
  // product, so that the pair still becomes an FMA.
  func.walk([](arith::AddFOp add) {
    for (Value operand : add->getOperands()) {
      if (auto cast = operand.getDefiningOp<vector::ShapeCastOp>())
        operand = cast.getSource();
      auto mul = operand.getDefiningOp<arith::MulFOp>();
      if (mul && bitEnumContainsAll(mul.getFastmath(),
                                    arith::FastMathFlags::contract))
        add.setFastmath(add.getFastmath() | arith::FastMathFlags::contract);
    }
  });
}

} // namespace
