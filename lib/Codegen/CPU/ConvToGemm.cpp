//===- ConvToGemm.cpp - Convolution-like contractions as GEMMs -------------===//
//
// Part of the Kiln project: an MLIR compiler for training programs.
//
//===----------------------------------------------------------------------===//
//
// The kiln-cpu-conv-to-gemm pass (dialects/Conversion/Passes.td): im2col,
// generalized. A multiply-accumulate linalg op (not a named matmul)
//     out[P] += A[f(P_a, K)] * B[g(P_b, K)]
// — a convolution, its input or filter gradient (operands read through
// taps), or a contraction with several M/N dims — is rewritten into
//     A' = gather(A) laid out [batch, M..., K...]      (im2col; skipped when
//     B' = gather(B) laid out [batch, K..., N...]       already in layout;
//                             or [batch, N..., K...]       B' may be read
//                                                          transposed)
//     C' = matmul(A', B') on the collapsed [M, K] x [K, N]
//     out = copy of C' in out's order                  (when out's dim order
//                                                      is not [M..., N...])
// so that kiln-cpu-matmul-kernels turns the product into a packed,
// vectorized, threaded GEMM. The loop dims are classified from the indexing
// maps: read by both operands and the result = batch, by one operand and the
// result = M (A's side) or N (B's side), by both operands only = K; unit
// dims take no part, so an operand or result that only interleaves unit
// dims with the GEMM layout is used in place.
//
// Copies cost memory and time, so the pass chooses (chooseTiling) between
// rewriting the op whole and tiling it first along a plain (untapped) dim
// of an operand, by one or by a chunk: per image, a convolution's filter
// and result are used in place and only the image's im2col is copied. The
// choice copies the fewest elements, with each tile's copies at most the
// op's largest tensor (im2col of a whole batch is 9x its input for 3x3).
// With fuse-epilogues, the elementwise reader of a tiled result (bias,
// activation, mask) then moves into the tile loops (ReaderIntoTiles.h).
//
//===----------------------------------------------------------------------===//

#include "kiln/Codegen/CPU/GatherCopies.h"
#include "kiln/Codegen/CPU/ReaderIntoTiles.h"
#include "kiln/Support/ThreadCount.h"
#include "kiln/Codegen/CPU/TileInPlace.h"
#include "kiln/Conversion/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/SparseTensor/IR/SparseTensor.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Interfaces/TilingInterface.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/LoopInvariantCodeMotionUtils.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/SmallBitVector.h"

#include <limits>

namespace kiln {
#define GEN_PASS_DEF_KILNCPUCONVTOGEMM
#include "kiln/Dialect/Conversion/Passes.h.inc"
} // namespace kiln

using namespace mlir;

namespace {

/// The attribute that keeps a rematerialized copy apart from its original
/// (see docs/passes/remat.md); it must reach every op the rewrite creates.
constexpr StringLiteral kRecomputedAttr = "kiln.recomputed";

/// Gives the ops created for `original` its kRecomputedAttr, if it has one.
struct RecomputedMark {
  explicit RecomputedMark(Operation *original)
      : recomputed(original->getAttr(kRecomputedAttr)) {}
  Operation *operator()(Operation *created) const {
    if (recomputed)
      created->setAttr(kRecomputedAttr, recomputed);
    return created;
  }
  Attribute recomputed;
};

/// Elements a tile may always copy, however small the op's tensors.
constexpr int64_t kMinCopyBound = 16 * 1024;

/// Whether the body is `out + in0 * in1` (either order of each pair).
bool isMulAccumulate(linalg::GenericOp op) {
  Block &body = op.getRegion().front();
  if (body.getNumArguments() != 3 || body.getOperations().size() != 3)
    return false;
  auto add = body.getTerminator()->getOperand(0).getDefiningOp<arith::AddFOp>();
  if (!add)
    return false;
  Value acc = body.getArgument(2), product;
  if (add.getLhs() == acc)
    product = add.getRhs();
  else if (add.getRhs() == acc)
    product = add.getLhs();
  else
    return false;
  auto mul = product.getDefiningOp<arith::MulFOp>();
  if (!mul)
    return false;
  Value a = body.getArgument(0), b = body.getArgument(1);
  return (mul.getLhs() == a && mul.getRhs() == b) ||
         (mul.getLhs() == b && mul.getRhs() == a);
}

/// The loop dims that `map` reads.
llvm::SmallBitVector usedDims(AffineMap map) {
  llvm::SmallBitVector used(map.getNumDims());
  for (AffineExpr e : map.getResults())
    e.walk([&](AffineExpr sub) {
      if (auto d = dyn_cast<AffineDimExpr>(sub))
        used.set(d.getPosition());
    });
  return used;
}

/// The coefficient of `dim` in `e` (over `numDims` dims) when `e` is a sum
/// of dims times constants plus a constant (a tap like `oh - kh + 1`), else
/// none.
std::optional<int64_t> linearCoefficient(AffineExpr e, unsigned dim,
                                         unsigned numDims) {
  bool linear = true;
  e.walk([&](AffineExpr sub) {
    if (auto bin = dyn_cast<AffineBinaryOpExpr>(sub))
      linear &= sub.getKind() == AffineExprKind::Add ||
                (sub.getKind() == AffineExprKind::Mul &&
                 (isa<AffineConstantExpr>(bin.getLHS()) ||
                  isa<AffineConstantExpr>(bin.getRHS())));
    else
      linear &= isa<AffineDimExpr, AffineConstantExpr>(sub);
  });
  if (!linear)
    return std::nullopt;
  MLIRContext *ctx = e.getContext();
  auto at = [&](int64_t value) {
    SmallVector<AffineExpr> dims(numDims, getAffineConstantExpr(0, ctx));
    dims[dim] = getAffineConstantExpr(value, ctx);
    return cast<AffineConstantExpr>(
               simplifyAffineExpr(e.replaceDims(dims), 0, 0))
        .getValue();
  };
  return at(1) - at(0);
}

/// Runs the reduction dims that an operand reads backwards through a
/// window (`dy[oh - kh + 2]`, the input gradient's correlation) forwards
/// instead: k -> (extent - 1) - k, a bijection of the summed loop that
/// leaves the sum alone. The window then reads forwards (`dy[oh + kh]`),
/// which upstream's tiling slices correctly (it computes a backwards
/// window's slice from the wrong end: a negative offset and a longer size)
/// and kiln-cpu-vectorize copies row by row. The other input, which reads
/// k alone (the filter), is read through a flipped copy (small, and
/// gathered into the GEMM layout anyway), so that each loop is still read
/// alone by some operand. Returns whether it changed the op.
bool readWindowsForwards(RewriterBase &rewriter, linalg::GenericOp op) {
  SmallVector<AffineMap> maps = op.getIndexingMapsArray();
  SmallVector<int64_t> ranges = op.getStaticLoopRanges();
  SmallVector<utils::IteratorType> iters = op.getIteratorTypesArray();
  MLIRContext *ctx = op.getContext();
  unsigned numLoops = ranges.size();
  // Per input: the operand dims to read flipped in its copy.
  SmallVector<SmallVector<unsigned>> flips(2);
  SmallVector<AffineExpr> substitution;
  for (unsigned d = 0; d < numLoops; ++d)
    substitution.push_back(getAffineDimExpr(d, ctx));
  for (unsigned d = 0; d < numLoops; ++d) {
    if (iters[d] != utils::IteratorType::reduction ||
        ShapedType::isDynamic(ranges[d]))
      continue;
    std::optional<unsigned> windowed, alone, aloneDim;
    for (unsigned in = 0; in < 2; ++in)
      for (auto [j, e] : llvm::enumerate(maps[in].getResults())) {
        if (e == getAffineDimExpr(d, ctx)) {
          // The copy flips the whole operand dim: it must be the loop's.
          if (cast<RankedTensorType>(op.getDpsInputs()[in].getType())
                  .getDimSize(j) == ranges[d]) {
            alone = in;
            aloneDim = j;
          }
          continue;
        }
        std::optional<int64_t> coefficient = linearCoefficient(e, d, numLoops);
        bool window = llvm::any_of(
            llvm::seq<unsigned>(0, numLoops),
            [&](unsigned other) { return other != d && e.isFunctionOfDim(other); });
        if (coefficient && *coefficient < 0 && window)
          windowed = in;
      }
    if (!windowed || !alone || *windowed == *alone)
      continue;
    flips[*alone].push_back(*aloneDim);
    substitution[d] =
        getAffineConstantExpr(ranges[d] - 1, ctx) - getAffineDimExpr(d, ctx);
  }
  if (flips[0].empty() && flips[1].empty())
    return false;

  SmallVector<Value> inputs = op.getDpsInputs();
  rewriter.setInsertionPoint(op);
  for (unsigned in = 0; in < 2; ++in) {
    if (flips[in].empty())
      continue;
    // The copy reads x[..., (n - 1) - i, ...] at i, so that the op reads
    // x'[k] = x[(extent - 1) - k] through its unchanged map.
    auto type = cast<RankedTensorType>(inputs[in].getType());
    SmallVector<AffineExpr> read;
    for (unsigned j = 0; j < type.getRank(); ++j)
      read.push_back(getAffineDimExpr(j, ctx));
    for (unsigned j : flips[in])
      read[j] = getAffineConstantExpr(type.getDimSize(j) - 1, ctx) - read[j];
    Value dest = tensor::EmptyOp::create(rewriter, op.getLoc(),
                                         type.getShape(),
                                         type.getElementType());
    Value flipped = kiln::cpu::buildGatherCopy(
                        rewriter, op.getLoc(), inputs[in],
                        AffineMap::get(type.getRank(), 0, read, ctx), dest)
                        ->getResult(0);
    rewriter.modifyOpInPlace(op, [&] {
      op.getDpsInputOperand(in)->set(flipped);
    });
  }
  for (unsigned in = 0; in < 2; ++in)
    if (flips[in].empty())
      maps[in] = simplifyAffineMap(maps[in].replaceDimsAndSymbols(
          substitution, {}, numLoops, 0));
  rewriter.modifyOpInPlace(op, [&] {
    op.setIndexingMapsAttr(rewriter.getAffineMapArrayAttr(maps));
  });
  return true;
}

/// A multiply-accumulate's loop structure: indexing maps (in0, in1, out),
/// iterator types and static extents. A tile of the op has the same maps
/// and smaller extents, so tiling choices are evaluated on this alone.
struct Contraction {
  SmallVector<AffineMap> maps;
  SmallVector<utils::IteratorType> iters;
  SmallVector<int64_t> ranges;

  bool isUnit(unsigned d) const { return ranges[d] == 1; }
  int64_t elements(ArrayRef<unsigned> dims) const {
    int64_t n = 1;
    for (unsigned d : dims)
      n *= ranges[d];
    return n;
  }
  /// Whether `map` reads the loop dims `layout` in that order, apart from
  /// unit dims (which may sit anywhere): then the operand can be collapsed
  /// into the GEMM layout without a copy.
  bool readsInOrder(AffineMap map, ArrayRef<unsigned> layout) const {
    size_t next = 0;
    for (AffineExpr e : map.getResults()) {
      auto dim = dyn_cast<AffineDimExpr>(e);
      if (!dim)
        return false;
      if (isUnit(dim.getPosition()))
        continue;
      if (next == layout.size() || layout[next] != dim.getPosition())
        return false;
      ++next;
    }
    return next == layout.size();
  }
};

/// How a contraction becomes a GEMM: its non-unit loop dims by role, each
/// list in layout order (unit dims take no part), and which input is A.
struct GemmPlan {
  SmallVector<unsigned> batch, m, n, k;
  unsigned lhs = 0;
  /// B laid out [batch, N..., K...] (the matmul reads it transposed): the
  /// layout whose gather runs along a longer contiguous dim, e.g. a filter
  /// gradient's im2col along the image row rather than the 3 taps.
  bool transposeB = false;

  SmallVector<unsigned> concat(ArrayRef<unsigned> x,
                               ArrayRef<unsigned> y) const {
    SmallVector<unsigned> out(batch);
    out.append(x.begin(), x.end());
    out.append(y.begin(), y.end());
    return out;
  }
  SmallVector<unsigned> layoutA() const { return concat(m, k); }
  SmallVector<unsigned> layoutB() const {
    return transposeB ? concat(n, k) : concat(k, n);
  }
  SmallVector<unsigned> layoutC() const { return concat(m, n); }
  bool aInOrder(const Contraction &c) const {
    return c.readsInOrder(c.maps[lhs], layoutA());
  }
  bool bInOrder(const Contraction &c) const {
    return c.readsInOrder(c.maps[1 - lhs], layoutB());
  }
  bool cInOrder(const Contraction &c) const {
    return c.readsInOrder(c.maps[2], layoutC());
  }
  /// Elements the rewrite copies: every operand not in its GEMM layout,
  /// and the accumulator in and out when it is not.
  int64_t copies(const Contraction &c) const {
    int64_t n = 0;
    if (!aInOrder(c))
      n += c.elements(layoutA());
    if (!bInOrder(c))
      n += c.elements(layoutB());
    if (!cInOrder(c))
      n += 2 * c.elements(layoutC());
    return n;
  }
  /// The contiguous run of B's gather (elements of its innermost layout dim
  /// that sit side by side in the source, where vector copies read them
  /// at once); unbounded when B is used in place.
  int64_t gatherRunB(const Contraction &c) const {
    if (bInOrder(c))
      return std::numeric_limits<int64_t>::max();
    AffineMap map = c.maps[1 - lhs];
    unsigned last = layoutB().back();
    return kiln::cpu::readsDimAtUnitStride(map.getResults().back(), last,
                                           map.getNumDims())
               ? c.ranges[last]
               : 1;
  }
  /// Multiply-accumulates inside kiln-cpu-matmul-kernels' full register
  /// tiles (8 x 32 by default); the rest runs in narrower tiles.
  int64_t coveredMacs(const Contraction &c) const {
    constexpr int64_t mr = 8, nr = 32;
    int64_t rows = c.elements(m), cols = c.elements(n);
    return c.elements(batch) * (rows - rows % mr) * (cols - cols % nr) *
           c.elements(k);
  }
};

/// The GEMM plan with A = input `lhs`, or failure when the contraction
/// has no GEMM form (a dim broadcast over the result, a reduction dim read
/// by one operand only, an empty M, N or K).
FailureOr<GemmPlan> planGemm(const Contraction &c, unsigned lhs) {
  llvm::SmallBitVector in0 = usedDims(c.maps[0]), in1 = usedDims(c.maps[1]),
                       out = usedDims(c.maps[2]);
  GemmPlan plan;
  plan.lhs = lhs;
  SmallVector<unsigned> side0, side1; // Free dims of input 0 / input 1.
  for (AffineExpr e : c.maps[2].getResults()) {
    unsigned d = cast<AffineDimExpr>(e).getPosition();
    if (!in0[d] && !in1[d])
      return failure();
    if (c.isUnit(d))
      continue;
    if (in0[d] && in1[d])
      plan.batch.push_back(d);
    else
      (in0[d] ? side0 : side1).push_back(d);
  }
  for (unsigned d = 0; d < c.ranges.size(); ++d) {
    if (out[d])
      continue;
    if (c.iters[d] != utils::IteratorType::reduction || !in0[d] || !in1[d])
      return failure();
    if (!c.isUnit(d))
      plan.k.push_back(d);
  }
  plan.m = lhs == 0 ? side0 : side1;
  plan.n = lhs == 0 ? side1 : side0;
  if (plan.m.empty() || plan.n.empty() || plan.k.empty())
    return failure();
  // K in the order of an operand that is a plain permutation (B first), so
  // that it may be used as it is.
  for (unsigned input : {1 - lhs, lhs}) {
    AffineMap map = c.maps[input];
    if (!map.isProjectedPermutation())
      continue;
    SmallVector<unsigned> order;
    for (AffineExpr e : map.getResults()) {
      unsigned d = cast<AffineDimExpr>(e).getPosition();
      if (llvm::is_contained(plan.k, d))
        order.push_back(d);
    }
    plan.k = order;
    break;
  }
  return plan;
}

/// The best of the orientations and B layouts: fewer copies, then a
/// longer contiguous run in B's gather (vector copies), then more of the
/// product in full register tiles, then the larger free side as A (the
/// kernel packs B).
FailureOr<GemmPlan> bestPlan(const Contraction &c) {
  FailureOr<GemmPlan> best = failure();
  auto key = [&](const GemmPlan &p) {
    return std::make_tuple(-p.copies(c), p.gatherRunB(c), p.coveredMacs(c),
                           c.elements(p.m));
  };
  for (unsigned lhs : {0u, 1u}) {
    for (bool transposeB : {false, true}) {
      FailureOr<GemmPlan> plan = planGemm(c, lhs);
      if (failed(plan))
        continue;
      plan->transposeB = transposeB;
      if (failed(best) || key(*plan) > key(*best))
        best = plan;
    }
  }
  return best;
}

/// A way to rewrite the op: whole, or tiled along `dim` by `chunk`.
struct TilingChoice {
  std::optional<unsigned> dim;
  int64_t chunk = 0;
  GemmPlan plan; // The plan of one tile.
};

class ConvToGemmPass
    : public kiln::impl::KilnCPUConvToGemmBase<ConvToGemmPass> {
public:
  using KilnCPUConvToGemmBase::KilnCPUConvToGemmBase;
  void runOnOperation() override;

private:
  /// The contraction of `op`, or failure for anything but a static f32
  /// multiply-accumulate generic with a permuted result: convolution-like
  /// (tapped operand maps) or a plain contraction that is not a named
  /// matmul (reshape propagation turns batch matmuls over heads into
  /// generics with several N dims).
  static FailureOr<Contraction> match(linalg::GenericOp op);
  /// The cheapest way to rewrite whose copies fit within the op's largest
  /// tensor: whole, or tiled along a plain (untapped) dim of a tapped
  /// operand, by one (a unit dim often lets an operand or the result be
  /// used in place: per-image GEMMs need no transposes) or by the largest
  /// chunk that fits. A reduction dim is tiled only when the result is
  /// used in place, or each tile would transpose the whole accumulator.
  static std::optional<TilingChoice> chooseTiling(const Contraction &c,
                                                  int64_t largest);
  void rewrite(RewriterBase &rewriter, linalg::GenericOp op,
               const Contraction &c, const GemmPlan &plan);
};

FailureOr<Contraction> ConvToGemmPass::match(linalg::GenericOp op) {
  if (!op.hasPureTensorSemantics() || op.hasDynamicShape() ||
      op.getNumDpsInputs() != 2 || op.getNumDpsInits() != 1 ||
      !isMulAccumulate(op))
    return failure();
  for (Value v : op->getOperands())
    if (!getElementTypeOrSelf(v.getType()).isF32() ||
        sparse_tensor::getSparseTensorEncoding(v.getType()))
      return failure(); // Sparse: kiln-cpu-sparse-weights' product.
  Contraction c{op.getIndexingMapsArray(), op.getIteratorTypesArray(),
                op.getStaticLoopRanges()};
  if (!c.maps[2].isProjectedPermutation())
    return failure();
  return c;
}

std::optional<TilingChoice>
ConvToGemmPass::chooseTiling(const Contraction &c, int64_t largest) {
  std::optional<TilingChoice> best;
  int64_t bestCopies = 0, bestTiles = 0;
  auto consider = [&](std::optional<unsigned> dim, int64_t chunk) {
    Contraction tile = c;
    int64_t tiles = 1;
    if (dim) {
      tile.ranges[*dim] = chunk;
      tiles = c.ranges[*dim] / chunk;
    }
    FailureOr<GemmPlan> plan = bestPlan(tile);
    if (failed(plan) || plan->copies(tile) > largest)
      return;
    bool reduction =
        dim && c.iters[*dim] == utils::IteratorType::reduction;
    if (reduction && !plan->cInOrder(tile))
      return;
    // Fewest copied elements over all tiles; then fewer tiles.
    int64_t total = plan->copies(tile) * tiles;
    if (!best || total < bestCopies ||
        (total == bestCopies && tiles < bestTiles)) {
      best = TilingChoice{dim, chunk, *plan};
      bestCopies = total;
      bestTiles = tiles;
    }
  };
  consider(std::nullopt, 0);
  llvm::SmallBitVector seen(c.ranges.size());
  for (AffineMap map : ArrayRef(c.maps).take_front(2)) {
    for (AffineExpr e : map.getResults()) {
      auto d = dyn_cast<AffineDimExpr>(e);
      if (!d || seen[d.getPosition()] || c.ranges[d.getPosition()] < 2)
        continue;
      unsigned dim = d.getPosition();
      seen.set(dim);
      int64_t extent = c.ranges[dim];
      consider(dim, 1);
      for (int64_t chunk = extent / 2; chunk > 1; --chunk)
        if (extent % chunk == 0)
          consider(dim, chunk);
    }
  }
  return best;
}

void ConvToGemmPass::rewrite(RewriterBase &rewriter, linalg::GenericOp op,
                             const Contraction &c, const GemmPlan &plan) {
  Location loc = op.getLoc();
  MLIRContext *ctx = op.getContext();
  Type f32 = rewriter.getF32Type();
  RecomputedMark mark(op);
  auto emptyOf = [&](ArrayRef<int64_t> shape) {
    return mark(tensor::EmptyOp::create(rewriter, loc, shape, f32))
        ->getResult(0);
  };
  // A copy of `source` into a new tensor of `shape`, element i read at
  // `read(i)`.
  auto copy = [&](Value source, AffineMap read, ArrayRef<int64_t> shape) {
    auto generic = kiln::cpu::buildGatherCopy(rewriter, loc, source, read,
                                              emptyOf(shape));
    ++numGathers;
    return mark(generic)->getResult(0);
  };
  // The operand read through `map`, laid out as the loop dims `layout`
  // (unit dims dropped; they read index 0).
  auto gather = [&](Value operand, AffineMap map, ArrayRef<unsigned> layout) {
    SmallVector<AffineExpr> replacements(map.getNumDims(),
                                         getAffineConstantExpr(0, ctx));
    SmallVector<int64_t> shape;
    for (auto [pos, d] : llvm::enumerate(layout)) {
      replacements[d] = getAffineDimExpr(pos, ctx);
      shape.push_back(c.ranges[d]);
    }
    return copy(operand,
                map.replaceDimsAndSymbols(replacements, {}, layout.size(), 0),
                shape);
  };
  // The reassociation that collapses a tensor read through `map` (in order
  // as readsInOrder says) into one dim per non-empty group; unit dims join
  // the next group (the last one at the end).
  auto reassociation = [&](AffineMap map,
                           ArrayRef<ArrayRef<unsigned>> groups) {
    SmallVector<ReassociationIndices> re;
    SmallVector<int64_t> shape;
    ReassociationIndices pending;
    size_t group = 0, taken = 0;
    for (auto [pos, e] : llvm::enumerate(map.getResults())) {
      unsigned d = cast<AffineDimExpr>(e).getPosition();
      pending.push_back(pos);
      if (c.isUnit(d))
        continue;
      while (groups[group].empty())
        ++group;
      if (++taken == groups[group].size()) {
        re.push_back(pending);
        shape.push_back(c.elements(groups[group]));
        pending.clear();
        taken = 0;
        ++group;
      }
    }
    re.back().append(pending.begin(), pending.end());
    return std::make_pair(re, shape);
  };
  // `value` (read through `map`, or laid out as the groups when `map` is
  // null) collapsed to the GEMM operand shape.
  auto collapse = [&](Value value, AffineMap map,
                      ArrayRef<ArrayRef<unsigned>> groups) {
    SmallVector<unsigned> layout;
    for (ArrayRef<unsigned> g : groups)
      layout.append(g.begin(), g.end());
    AffineMap layoutMap =
        map ? map
            : AffineMap::get(c.ranges.size(), 0,
                             llvm::map_to_vector(layout, [&](unsigned d) {
                               return getAffineDimExpr(d, ctx);
                             }),
                             ctx);
    auto [re, shape] = reassociation(layoutMap, groups);
    if (cast<RankedTensorType>(value.getType()).getShape() == ArrayRef(shape))
      return std::make_pair(value, re);
    Value collapsed =
        mark(tensor::CollapseShapeOp::create(
                 rewriter, loc, RankedTensorType::get(shape, f32), value, re))
            ->getResult(0);
    return std::make_pair(collapsed, re);
  };

  rewriter.setInsertionPoint(op);
  SmallVector<ArrayRef<unsigned>> groupsA = {plan.batch, plan.m, plan.k},
                                  groupsB = plan.transposeB
                                      ? SmallVector<ArrayRef<unsigned>>{
                                            plan.batch, plan.n, plan.k}
                                      : SmallVector<ArrayRef<unsigned>>{
                                            plan.batch, plan.k, plan.n},
                                  groupsC = {plan.batch, plan.m, plan.n};
  auto operandForGemm = [&](unsigned input, bool inOrder,
                            ArrayRef<ArrayRef<unsigned>> groups,
                            ArrayRef<unsigned> layout) {
    Value v = op.getDpsInputOperand(input)->get();
    if (inOrder)
      return collapse(v, c.maps[input], groups).first;
    return collapse(gather(v, c.maps[input], layout), AffineMap(), groups)
        .first;
  };
  Value a = operandForGemm(plan.lhs, plan.aInOrder(c), groupsA,
                           plan.layoutA());
  Value b = operandForGemm(1 - plan.lhs, plan.bInOrder(c), groupsB,
                           plan.layoutB());

  // The accumulator: the init itself when it is in order, a fresh fill
  // when it is one, else a transposed copy.
  Value init = op.getDpsInitOperand(0)->get();
  bool cInOrder = plan.cInOrder(c);
  SmallVector<unsigned> layoutC = plan.layoutC();
  Value acc;
  SmallVector<ReassociationIndices> accRe;
  if (cInOrder) {
    std::tie(acc, accRe) = collapse(init, c.maps[2], groupsC);
  } else {
    Value full;
    if (auto fill = init.getDefiningOp<linalg::FillOp>()) {
      SmallVector<int64_t> shape =
          llvm::map_to_vector(layoutC, [&](unsigned d) { return c.ranges[d]; });
      full = mark(linalg::FillOp::create(rewriter, loc, fill.getInputs(),
                                         ValueRange{emptyOf(shape)}))
                 ->getResult(0);
    } else {
      full = gather(init, c.maps[2], layoutC);
    }
    std::tie(acc, accRe) = collapse(full, AffineMap(), groupsC);
  }
  Operation *gemm =
      plan.batch.empty()
          ? linalg::MatmulOp::create(rewriter, loc, TypeRange{acc.getType()},
                                     ValueRange{a, b}, ValueRange{acc})
                .getOperation()
          : linalg::BatchMatmulOp::create(rewriter, loc,
                                          TypeRange{acc.getType()},
                                          ValueRange{a, b}, ValueRange{acc})
                .getOperation();
  if (plan.transposeB) {
    // B is [batch?, N, K]: the matmul reads it through (.., n, k).
    SmallVector<AffineMap> maps =
        cast<linalg::LinalgOp>(gemm).getIndexingMapsArray();
    unsigned rank = maps[1].getNumResults();
    SmallVector<AffineExpr> bExprs = llvm::to_vector(maps[1].getResults());
    std::swap(bExprs[rank - 2], bExprs[rank - 1]);
    maps[1] = AffineMap::get(maps[1].getNumDims(), 0, bExprs, ctx);
    gemm->setAttr("indexing_maps",
                  rewriter.getAffineMapArrayAttr(maps));
  }
  mark(gemm);
  Value result = gemm->getResult(0);
  auto resultType = cast<RankedTensorType>(op->getResult(0).getType());
  if (cInOrder) {
    if (result.getType() != resultType)
      result = mark(tensor::ExpandShapeOp::create(rewriter, loc, resultType,
                                                  result, accRe))
                   ->getResult(0);
  } else {
    // Back to the op's result order: element (j...) of the result is
    // element (loop dim layoutC[i] = index of result position j) of C'.
    SmallVector<int64_t> shapeC =
        llvm::map_to_vector(layoutC, [&](unsigned d) { return c.ranges[d]; });
    if (result.getType() != RankedTensorType::get(shapeC, f32))
      result = mark(tensor::ExpandShapeOp::create(
                        rewriter, loc, RankedTensorType::get(shapeC, f32),
                        result, accRe))
                   ->getResult(0);
    SmallVector<AffineExpr> read;
    for (unsigned d : layoutC)
      for (auto [j, e] : llvm::enumerate(c.maps[2].getResults()))
        if (cast<AffineDimExpr>(e).getPosition() == d)
          read.push_back(getAffineDimExpr(j, ctx));
    result = copy(result,
                  AffineMap::get(resultType.getRank(), 0, read, ctx),
                  resultType.getShape());
    ++numTransposes;
  }
  rewriter.replaceOp(op, result);
  ++numRewritten;
}

/// A multiply-accumulate split along reduction dim `dim` into `threads`
/// equal runs: each forall iteration accumulates its run into its own zeroed
/// partial result, laid out [thread, result...] so that each partial is
/// contiguous, and a linalg.reduce adds the partials into the original
/// accumulator (in thread order, so a fixed thread count gives fixed bits).
struct PartialSums {
  scf::ForallOp loop;
  Operation *tiledOp;
};

FailureOr<PartialSums> splitAcrossThreads(RewriterBase &rewriter,
                                          linalg::GenericOp op, unsigned dim,
                                          int64_t threads) {
  Location loc = op.getLoc();
  RecomputedMark mark(op);
  Value init = op.getDpsInitOperand(0)->get();
  auto resultType = cast<RankedTensorType>(init.getType());
  Type element = resultType.getElementType();
  SmallVector<int64_t> ranges = op.getStaticLoopRanges();
  int64_t run = ranges[dim] / threads;

  rewriter.setInsertionPoint(op);
  SmallVector<int64_t> partialShape{threads};
  llvm::append_range(partialShape, resultType.getShape());
  Value empty =
      mark(tensor::EmptyOp::create(rewriter, loc, partialShape, element))
          ->getResult(0);
  Value zero = arith::ConstantOp::create(rewriter, loc,
                                         rewriter.getZeroAttr(element));
  Value partials =
      mark(linalg::FillOp::create(rewriter, loc, zero, empty))->getResult(0);
  auto forall = scf::ForallOp::create(
      rewriter, loc, ArrayRef<OpFoldResult>{rewriter.getIndexAttr(threads)},
      ValueRange{partials}, std::nullopt);
  mark(forall);

  // This thread's partial result: [t, 0...] of [1, result...], rank-reduced.
  rewriter.setInsertionPoint(forall.getTerminator());
  Value thread = forall.getInductionVars().front();
  Value shared = forall.getRegionIterArgs().front();
  SmallVector<OpFoldResult> sliceOffsets(partialShape.size(),
                                         rewriter.getIndexAttr(0));
  sliceOffsets[0] = thread;
  SmallVector<OpFoldResult> sliceSizes{rewriter.getIndexAttr(1)};
  for (int64_t extent : resultType.getShape())
    sliceSizes.push_back(rewriter.getIndexAttr(extent));
  SmallVector<OpFoldResult> sliceStrides(partialShape.size(),
                                         rewriter.getIndexAttr(1));
  Value mine = mark(tensor::ExtractSliceOp::create(
                        rewriter, loc, resultType, shared, sliceOffsets,
                        sliceSizes, sliceStrides))
                   ->getResult(0);

  // The op on this thread's run of the reduction dim.
  Value start = arith::MulIOp::create(
      rewriter, loc, thread,
      arith::ConstantIndexOp::create(rewriter, loc, run));
  SmallVector<OpFoldResult> offsets(ranges.size(), rewriter.getIndexAttr(0));
  offsets[dim] = start;
  SmallVector<OpFoldResult> sizes;
  for (auto [d, extent] : llvm::enumerate(ranges))
    sizes.push_back(rewriter.getIndexAttr(d == dim ? run : extent));
  FailureOr<TilingResult> tiled =
      cast<TilingInterface>(op.getOperation())
          .getTiledImplementation(rewriter, offsets, sizes);
  if (failed(tiled) || tiled->tiledOps.size() != 1 ||
      tiled->tiledValues.front().getType() != resultType) {
    rewriter.eraseOp(forall);
    return failure();
  }
  auto tiledOp = cast<linalg::GenericOp>(tiled->tiledOps.front());
  OpOperand *tiledInit = tiledOp.getDpsInitOperand(0);
  Operation *originalSlice = tiledInit->get().getDefiningOp();
  tiledInit->set(mine);
  if (originalSlice && originalSlice->use_empty())
    rewriter.eraseOp(originalSlice);

  rewriter.setInsertionPointToStart(forall.getTerminator().getBody());
  tensor::ParallelInsertSliceOp::create(rewriter, loc, tiledOp->getResult(0),
                                        shared, sliceOffsets, sliceSizes,
                                        sliceStrides);

  rewriter.setInsertionPointAfter(forall);
  auto reduce = linalg::ReduceOp::create(
      rewriter, loc, ValueRange{forall.getResult(0)}, ValueRange{init},
      ArrayRef<int64_t>{0}, [](OpBuilder &b, Location loc, ValueRange args) {
        Value sum = arith::AddFOp::create(b, loc, args[0], args[1]);
        linalg::YieldOp::create(b, loc, sum);
      });
  mark(reduce);
  rewriter.replaceOp(op, reduce->getResults());
  return PartialSums{forall, tiledOp};
}

void ConvToGemmPass::runOnOperation() {
  func::FuncOp func = getOperation();
  IRRewriter rewriter(&getContext());

  // Named convolutions (linalg.conv_2d_nchw_fchw, ...) become generics
  // first; their maps carry the taps.
  SmallVector<linalg::LinalgOp> named;
  func.walk([&](linalg::LinalgOp op) {
    if (isa<linalg::ConvolutionOpInterface>(op.getOperation()) &&
        !isa<linalg::GenericOp>(op.getOperation()) &&
        op.hasPureTensorSemantics() && !op.hasDynamicShape())
      named.push_back(op);
  });
  for (linalg::LinalgOp op : named) {
    Attribute recomputed = op->getAttr(kRecomputedAttr);
    rewriter.setInsertionPoint(op);
    FailureOr<linalg::GenericOp> generic =
        linalg::generalizeNamedOp(rewriter, op);
    if (succeeded(generic) && recomputed)
      (*generic)->setAttr(kRecomputedAttr, recomputed);
  }

  unsigned numGemms = 0, numWithReader = 0;
  SmallVector<linalg::GenericOp> candidates;
  // Contractions only: the all-parallel readers that a rewrite may move
  // into its tile loop (fuse-epilogues) are erased on the way.
  func.walk([&](linalg::GenericOp op) {
    if (op.getNumReductionLoops() > 0)
      candidates.push_back(op);
  });
  for (linalg::GenericOp op : candidates) {
    FailureOr<Contraction> c = match(op);
    if (failed(c))
      continue;
    if (readWindowsForwards(rewriter, op))
      c = match(op); // Same loops, new maps.
    int64_t flops = 2 * c->elements(llvm::to_vector(
                            llvm::seq<unsigned>(0, c->ranges.size())));
    if (flops < minFlops) {
      ++numSkipped;
      continue;
    }
    // The bound on one tile's copies: the op's largest tensor, or 64 KiB
    // (an L2-sized scratch) when its tensors are smaller than that.
    int64_t largest = kMinCopyBound;
    for (Value v : op->getOperands())
      largest = std::max(
          largest, cast<RankedTensorType>(v.getType()).getNumElements());
    std::optional<TilingChoice> choice = chooseTiling(*c, largest);
    if (!choice) {
      ++numSkipped;
      continue;
    }
    if (!choice->dim) {
      rewrite(rewriter, op, *c, choice->plan);
      ++numGemms;
      continue;
    }
    SmallVector<int64_t> sizes(c->ranges.size(), 0);
    sizes[*choice->dim] = choice->chunk;
    // Independent tiles (along a parallel dim) go to the threads in equal
    // runs: an scf.forall with one iteration per thread around the loop
    // over the tiles, so each thread needs one copy buffer (which
    // kiln-plan-memory gives a slot per iteration). The GEMM kernels'
    // own thread tiles inside run on the thread that took the run (OpenMP
    // does not nest by default).
    int64_t numTiles = c->ranges[*choice->dim] / choice->chunk;
    int64_t threads = kiln::resolveThreadCount(numThreads);
    TilingInterface target = cast<TilingInterface>(op.getOperation());
    SmallVector<LoopLikeOpInterface> loops;
    if (parallelTiles && threads > 1 && numTiles >= threads &&
        numTiles % threads == 0 &&
        c->iters[*choice->dim] == utils::IteratorType::parallel) {
      SmallVector<int64_t> runSizes(c->ranges.size(), 0);
      runSizes[*choice->dim] = choice->chunk * (numTiles / threads);
      FailureOr<scf::SCFTilingResult> runs =
          kiln::cpu::tileInPlace(rewriter, target, runSizes, /*forall=*/true);
      if (failed(runs)) {
        ++numSkipped;
        continue;
      }
      target = cast<TilingInterface>(runs->tiledOps.front());
      llvm::append_range(loops, runs->loops);
      // The reader of the result (bias, activation, mask) follows the
      // product into each loop, down to the GEMM of one tile.
      if (fuseEpilogues)
        (void)kiln::cpu::fuseElementwiseReaderIntoLoop(rewriter, loops.back());
    } else if (parallelTiles && threads > 1 && numTiles >= threads &&
               numTiles % threads == 0 &&
               c->iters[*choice->dim] == utils::IteratorType::reduction) {
      // Tiles along a reduction dim (a filter gradient's images) all add
      // into one result: each thread sums its run into its own partial
      // result, and the partials are added to the accumulator afterwards.
      FailureOr<PartialSums> runs =
          splitAcrossThreads(rewriter, op, *choice->dim, threads);
      if (failed(runs)) {
        ++numSkipped;
        continue;
      }
      target = cast<TilingInterface>(runs->tiledOp);
      loops.push_back(runs->loop);
    }
    FailureOr<scf::SCFTilingResult> tiled =
        kiln::cpu::tileInPlace(rewriter, target, sizes, /*forall=*/false);
    if (failed(tiled)) {
      ++numSkipped;
      continue;
    }
    llvm::append_range(loops, tiled->loops);
    // Only tiles along a parallel dim are pieces of the result: along a
    // reduction dim (a filter gradient's images, on one thread) each
    // iteration adds to the whole result, which is complete only after
    // the loop, so its reader stays outside.
    if (fuseEpilogues &&
        c->iters[*choice->dim] == utils::IteratorType::parallel &&
        succeeded(
            kiln::cpu::fuseElementwiseReaderIntoLoop(rewriter, loops.back()))) {
      ++numEpilogues;
      ++numWithReader;
    }
    auto tile = cast<linalg::GenericOp>(tiled->tiledOps.front());
    Contraction tileContraction = *c;
    tileContraction.ranges = tile.getStaticLoopRanges();
    rewrite(rewriter, tile, tileContraction, choice->plan);
    ++numTiled;
    ++numGemms;
    // Copies of what the tile loop does not slice (a filter) happen once.
    for (LoopLikeOpInterface loop : llvm::reverse(loops))
      moveLoopInvariantCode(loop);
  }
  if (numGemms == 0)
    return;
  // Statistics are compiled out of release LLVM builds; a remark says it
  // too (at the function's location: on an op it would print the op).
  emitRemark(func.getLoc())
      << "conv-to-gemm: " << numGemms << " contractions as GEMMs, "
      << numWithReader << " with their elementwise reader in the tile loop";
}

} // namespace
