//===- Passes.td - Conversions out of the kiln dialect ----*- tablegen -*-===//
//
// Part of the Kiln project: an MLIR compiler for training programs.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_CONVERSION_PASSES_TD
#define KILN_CONVERSION_PASSES_TD

include "mlir/Pass/PassBase.td"

def ConvertKilnToLinalg : Pass<"convert-kiln-to-linalg", "mlir::ModuleOp"> {
  let summary = "Lowers kiln ops to linalg, tensor, arith and math";
  let description = [{
    Rewrites every kiln op into upstream ops on tensors: contractions,
    convolutions and pooling become linalg named ops, elementwise math and
    reductions become `linalg.generic`/`linalg.reduce`, data movement becomes
    `tensor` ops. Everything stays on tensors, so tiling, fusion and
    vectorization apply afterwards. Shapes must be static; an op with a
    dynamic dimension is reported and the pass fails.

    Unsigned `ui<N>` element types are lowered with the unsigned arith ops
    (divui, cmpi ult, extui, uitofp, ...); at the end every integer type of
    the module becomes signless, and function arguments and results that
    were unsigned tensors carry `kiln.unsigned`.

    With `mark-fusion-groups`, each op inlined from a `kiln.fusion_group`
    carries the group's id (`kiln.fusion_group`, an i64) so that CPU code
    generation can compute a reduction group as one loop over row tiles
    (`kiln-cpu-tile-fusion-groups`, which removes the marks; `kiln-run`
    sets the option for the CPU target).
  }];
  let dependentDialects = [
    "mlir::linalg::LinalgDialect", "mlir::tensor::TensorDialect",
    "mlir::arith::ArithDialect", "mlir::math::MathDialect",
    "mlir::scf::SCFDialect",
  ];
  let options = [
    Option<"markFusionGroups", "mark-fusion-groups", "bool", "false",
           "Mark the ops inlined from each fusion group with the group's id "
           "(kiln.fusion_group) for kiln-cpu-tile-fusion-groups">,
  ];
  let statistics = [
    Statistic<"numLoweredOps", "lowered-ops", "kiln ops lowered">,
  ];
}

def KilnCPUConvToGemm : Pass<"kiln-cpu-conv-to-gemm", "mlir::func::FuncOp"> {
  let summary = "Rewrites convolution-like contractions as im2col + GEMM";
  let description = [{
    CPU code generation for convolutions and their gradients, on tensors
    (before `kiln-cpu-matmul-kernels`). A static f32 multiply-accumulate
    `linalg` op that is not a named matmul (named convolutions are
    generalized first) — one that reads an operand through non-permutation
    affine maps (the taps), or a plain contraction with several M or N dims
    (what reshape propagation makes of batch matmuls over attention heads)
    — becomes:

    - a gather of each operand into a GEMM layout: `A'[batch, M..., K...]`
      (im2col for the tapped operand) and `B'[batch, K..., N...]` (skipped
      when B already has that layout);
    - one `linalg.matmul` (or `linalg.batch_matmul`) of the collapsed
      operands into a zero fill (or a transposed copy of the accumulator);
    - a `linalg.transpose` back to the op's result order when that is not
      `[M..., N...]`.

    The loop dims are classified from the indexing maps: read by both
    operands and the result, batch; by one operand and the result, M or N;
    by both operands only, K. Unit batch dims join M. The operand with more
    free elements becomes A, so that the GEMM kernel packs the smaller one.
    The forward convolution, its input gradient and its filter gradient all
    take this form.

    The op may first be tiled (`scf.for`) along a plain (untapped) dim of
    an operand, by one or by a chunk, and each tile rewritten: per image, a
    convolution's filter and result are used in place and only the image's
    im2col is copied. Among the whole and the tiled forms the one copying
    the fewest elements wins, with one tile's copies at most the op's
    largest tensor (or 16 Ki elements), so im2col (9x the input of a 3x3
    convolution) never multiplies a layer's memory; a reduction dim is
    tiled only when the accumulator is used in place.

    With `parallel-tiles` (the default) tiles along a parallel dim (the
    images of a convolution or of its input gradient) are shared out in
    equal runs: an `scf.forall` with one iteration per thread around the
    loop over the tiles, so each thread takes whole images with its own
    im2col buffer (a slot per iteration in `kiln-plan-memory`'s arena)
    instead of every image's GEMM and copies being split across the
    threads (a fork/join per image and op). Tiles along a reduction dim
    (the images of a filter gradient, which all add into one result), or
    a tile count that the threads do not divide, stay one sequential loop.

    With `fuse-epilogues` (the default), the elementwise `linalg.generic`
    that is the only reader of a tiled op's result (a convolution's bias,
    activation and activation mask) moves into the tile loop and is
    computed on each tile right after its GEMM, where
    `kiln-cpu-matmul-kernels` computes it on the register tiles. An output
    that the reader wrote in place of the result is written in place of
    each tile; other outputs (a mask) are carried through the loops.
  }];
  let options = [
    Option<"minFlops", "min-flops", "int64_t", "65536",
           "Smallest contraction (2 x the product of its loop extents) that "
           "is rewritten">,
    Option<"parallelTiles", "parallel-tiles", "bool", "true",
           "Tiles along a parallel dim are shared out in equal runs, an "
           "scf.forall of one iteration per thread around the tile loop">,
    Option<"numThreads", "num-threads", "int64_t", "0",
           "Threads to share the tiles among (0: the host's cores, or "
           "OMP_NUM_THREADS)">,
    Option<"fuseEpilogues", "fuse-epilogues", "bool", "true",
           "Move the elementwise reader of a tiled op's result into its tile "
           "loop (kiln-cpu-lower-to-llvm sets it with --fuse-elementwise)">,
  ];
  let dependentDialects = [
    "mlir::linalg::LinalgDialect", "mlir::tensor::TensorDialect",
  ];
  let statistics = [
    Statistic<"numRewritten", "rewritten", "Contractions rewritten as GEMMs">,
    Statistic<"numGathers", "gathers",
              "Operands gathered into a GEMM layout (im2col and copies)">,
    Statistic<"numTiled", "tiled",
              "Contractions tiled to bound the memory of their copies">,
    Statistic<"numTransposes", "transposes",
              "Results transposed back to the op's order">,
    Statistic<"numEpilogues", "epilogues",
              "Elementwise readers moved into a tile loop">,
    Statistic<"numSkipped", "skipped",
              "Convolution-like contractions below min-flops">,
  ];
}

def KilnCPUVectorize : Pass<"kiln-cpu-vectorize", "mlir::func::FuncOp"> {
  let summary = "Threads and vectorizes the elementwise and reduction ops";
  let description = [{
    CPU code generation for everything the GEMM passes leave, on tensors
    (before bufferization). Every static linalg op on element types of at
    most 32 bits that is not a contraction or a convolution (elementwise
    generics, broadcasts, transposes, fills, reductions, im2col gathers):

    - where no vector tile divides its innermost extent, the multiple of
      `min-vector-size` is split off and the rest stays a scalar loop;
    - its outermost parallel dim is split across threads (`scf.forall`,
      lowered to OpenMP) when it has at least `min-parallel-elements`
      iterations;
    - it is tiled to `1 x ... x 1 x W` (W the largest multiple of
      `min-vector-size` up to `vector-size` dividing the innermost extent,
      or the whole extent when that is smaller) and vectorized: one vector
      op per scalar op, innermost reductions as vector reductions;
    - a copy through a window map (im2col: `x[c, oh + kh, ow + kw]` into
      `[c, kh, kw, oh, ow]`), whose map linalg's vectorizer rejects, is
      tiled the same way when its innermost dim reads the source's last dim
      at unit stride; each tile is one contiguous `vector.transfer_read`
      and one `vector.transfer_write`;
    - an op read through a window that is not such a copy (a max-pool's
      `x[n, c, 2 oh + kh, 2 ow + kw]`, a strided im2col) is only split
      across threads; its tile stays a scalar loop nest;
    - a static `tensor.pad` of a constant (a convolution's padded input),
      and a `tensor.insert_slice` into a `linalg.fill` (a gradient spread
      into zeros), are first rewritten as a fill and a copy generic into
      the slice, vectorized like the rest (bufferized as it was, it
      would be a strided `memref.copy`, copied an element at a time);
    - a 0-d input (an optimizer's step counter or bias correction) is read
      once before the op (`tensor.extract`) and used in the body as a
      value from above, so that the vectorizer broadcasts it and an i64
      counter does not keep an f32 loop scalar;
    - a sum over several dims that reduces the innermost one (per-channel
      statistics) is split into vector additions into `partial[..., w]`
      and one horizontal sum per output (reassociated, as any vector sum).

    Vector `math` functions (exp, expm1, log, log1p, log2, tanh, erf) then
    get MLIR's polynomial approximations instead of per-lane libm calls.
  }];
  let options = [
    Option<"vectorSize", "vector-size", "int64_t", "64",
           "Largest vector tile (elements) along the innermost loop dim">,
    Option<"minVectorSize", "min-vector-size", "int64_t", "16",
           "Vector tiles are multiples of this (16 f32 = one AVX-512 "
           "register)">,
    Option<"numThreads", "num-threads", "int64_t", "0",
           "Threads (0: OMP_NUM_THREADS, else the host's cores; 1: no "
           "scf.forall)">,
    Option<"minParallelElements", "min-parallel-elements", "int64_t",
           "32768", "Smallest op (iterations) split across threads">,
  ];
  let dependentDialects = [
    "mlir::arith::ArithDialect", "mlir::linalg::LinalgDialect",
    "mlir::math::MathDialect", "mlir::scf::SCFDialect",
    "mlir::tensor::TensorDialect", "mlir::vector::VectorDialect",
  ];
  let statistics = [
    Statistic<"numVectorized", "vectorized", "Ops vectorized">,
    Statistic<"numTransposeBlocks", "transpose-blocks",
              "Transposing ops vectorized as square blocks">,
    Statistic<"numThreaded", "threaded", "Ops split across threads">,
    Statistic<"numSplit", "split", "Innermost remainders split off">,
    Statistic<"numSplitReductions", "split-reductions",
              "Sums over several dims split into vector accumulation and "
              "a short horizontal sum">,
    Statistic<"numScalarInputs", "scalar-inputs",
              "Ops whose 0-d inputs are read once before the loop">,
    Statistic<"numPads", "pads",
              "Pads and insertions into fills rewritten as vectorized "
              "copies">,
    Statistic<"numSkipped", "skipped",
              "Ops narrower than a vector along an odd innermost dim">,
  ];
}

def KilnCPUFuseElementwise
    : Pass<"kiln-cpu-fuse-elementwise", "mlir::func::FuncOp"> {
  let summary = "Elementwise producer-consumer fusion that never makes the "
                "program hold more bytes";
  let description = [{
    Upstream's elementwise fusion (the patterns of
    `linalg-fuse-elementwise-ops`: a single-use producer `linalg.generic`
    inlined into its consumer, reshapes folded by expansion, constant
    folding) with a control function about memory. Fusing moves the
    producer's computation to its consumer: the producer's result no
    longer exists, but every producer input that would have died before
    the consumer now lives until it. A fusion is refused when those inputs
    hold more bytes than the result it removes; in a training step that
    is a forward value read in the backward pass (a ReLU's `x > 0`: keeping
    the f32 `x` alive instead of the byte mask undoes the memory schedule
    and `kiln-remat`'s decisions). Inputs that are arguments, constants or
    used at or after the consumer anyway cost nothing.

    A fusion is also refused when the consumer would compute some of the
    producer's elements more than once: it reads the result through a map
    that is not a permutation of its loops (a per-row statistic read along
    a row, a matmul operand) and the producer does arithmetic (broadcasts
    and transposes still fuse). Besides the repeated work, an
    elementwise producer inlined into a contraction hides the contraction
    from `kiln-cpu-matmul-kernels`, which then leaves it as plain loops
    that sum in another order, so a value's bits would depend on which of
    its readers was fused.

    Element-moving generics (broadcasts, transposes) with several
    `linalg.generic` readers are first copied per reader, so that each
    copy fuses into its reader instead of being materialized for all.
    A `linalg.reduce` whose input a `linalg.generic` computes is
    generalized, so that a single-use producer fuses into the reduction's
    loops (a sum of squares reads `x` once).

    After upstream's patterns, a producer with several readers (which
    upstream leaves alone) fuses into its first reader when that reader
    iterates over the same space without reducing and comes before the
    other readers: the fused op yields the producer's value as well and
    the others read it from there, so nothing is computed twice
    (`kiln/Conversion/KilnToLinalg/ElementwiseFusion.h`, the fusion that
    `convert-kiln-to-linalg` applies inside a `kiln.fusion_group`). The
    producer's result stays, so such a fusion must not keep any of its
    inputs alive longer. A remark on the function gives the loop nests
    before and after and the producers with several readers fused.
  }];
  let dependentDialects = [
    "mlir::affine::AffineDialect", "mlir::arith::ArithDialect",
    "mlir::linalg::LinalgDialect", "mlir::tensor::TensorDialect",
  ];
  let statistics = [
    Statistic<"numRefused", "refused",
              "Fusions refused because they would hold more bytes">,
    Statistic<"numRefusedRepeats", "refused-repeats",
              "Fusions refused because they would compute a producer's "
              "element more than once">,
    Statistic<"numMultiUse", "multi-use",
              "Producers with several readers fused into their first reader">,
  ];
}

def KilnCPUTileFusionGroups
    : Pass<"kiln-cpu-tile-fusion-groups", "mlir::func::FuncOp"> {
  let summary = "Computes each reduction fusion group as one loop over tiles "
                "of rows";
  let description = [{
    A `kiln-fuse` group around a reduction (softmax, layer norm, batch-norm
    statistics, each with its elementwise epilogue) lowers to several loop
    nests over the whole tensor: the row statistic, then the ops that read
    it, each streaming the tensor through the caches again. This pass
    tiles the group's last op along the dims that every op of the group
    keeps (rows; a batch norm's channels: dims along which no value of the
    group is broadcast, so that nothing is computed twice) and fuses the
    group's other ops into that tile loop (upstream's
    `tileConsumerAndFuseProducersUsingSCF`), so that each tile's statistic
    and its readers run while the tile is in the core's caches. The loop is
    an `scf.forall`: the tiles go to the threads, and `kiln-cpu-vectorize`
    vectorizes the ops of a tile.

    The group's ops are those that `convert-kiln-to-linalg` marked with
    the group's id (`kiln.fusion_group`, its `mark-fusion-groups` option);
    the pass removes the marks. A group is left as it is when it
    holds anything but elementwise and reduction generics (a contraction
    is for the GEMM kernels), when its last op reduces, when it has more
    than one last op, when one of its values is read outside the group
    before its last op, or when its tiles would be fewer than the threads.
    Tiles hold at most `tile-elements` elements of the last op's iteration
    space, more only where one step along the tiled dims is larger. A
    remark on the function gives the groups tiled out of those with a
    reduction.
  }];
  let dependentDialects = [
    "mlir::affine::AffineDialect", "mlir::linalg::LinalgDialect",
    "mlir::scf::SCFDialect", "mlir::tensor::TensorDialect",
  ];
  let options = [
    Option<"numThreads", "num-threads", "int64_t", "0",
           "Threads the tiles are shared among (0: OMP_NUM_THREADS or the "
           "machine's cores); a group with fewer tiles is left alone">,
    Option<"tileElements", "tile-elements", "int64_t", "8192",
           "Most elements of the last op's iteration space in one tile">,
  ];
  let statistics = [
    Statistic<"numTiled", "tiled", "Reduction groups computed tile by tile">,
  ];
}

def KilnCPUExpandFloat8 : Pass<"kiln-cpu-expand-float8", "mlir::func::FuncOp"> {
  let summary = "Expands conversions to and from f8E4M3FN and f8E5M2 into integer ops";
  let description = [{
    LLVM has no 8-bit float types, and MLIR lowers `arith.truncf` and
    `arith.extf` with f8E4M3FN or f8E5M2 nowhere on the CPU path. This pass
    rewrites them (scalar or vector) into integer arithmetic on the f32
    bits, the 8-bit value carried as an `i8` bitcast to the f8 type:

    - `truncf` from f32 rounds to nearest even; values below the smallest
      normal become multiples of the smallest subnormal; finite values
      beyond the largest saturate to it (ONNX Cast's default,
      `saturate=1`); inf gives E4M3FN's largest value or E5M2's inf; NaN
      gives NaN;
    - `extf` to f32 is exact.
  }];
  let dependentDialects = [
    "mlir::arith::ArithDialect", "mlir::math::MathDialect",
  ];
  let statistics = [
    Statistic<"numExpanded", "expanded", "Conversions expanded">,
  ];
}

def KilnCPUByteMasks : Pass<"kiln-cpu-byte-masks", "mlir::func::FuncOp"> {
  let summary = "Stores boolean tensors passed between linalg ops as bytes";
  let description = [{
    A mask that one `linalg.generic` writes and others read (a ReLU's
    `x > 0` that a fused forward group saves for its backward) is a tensor
    of `i1`. Its buffer holds a byte per element while LLVM's `<N x i1>`
    vectors are bit-packed, so `kiln-cpu-vectorize` leaves every op that
    touches an `i1` tensor as scalar loops. This pass stores such a mask as
    `i8` instead: the producer yields `arith.extui` of the bit, each
    consumer computes with `arith.trunci` of the byte. It applies when the
    mask's init is a `tensor.empty` the producer does not read and every
    user is a `linalg.generic` reading it as an input; other `i1` tensors
    (function arguments and results, other users) are left alone.
  }];
  let dependentDialects = [
    "mlir::arith::ArithDialect", "mlir::tensor::TensorDialect",
  ];
  let statistics = [
    Statistic<"numMasks", "masks", "Boolean tensors stored as bytes">,
  ];
}

def KilnCPUFoldLoopResults
    : Pass<"kiln-cpu-fold-loop-results", "mlir::func::FuncOp"> {
  let summary = "Uses a buffer-updating loop's init buffer for its result";
  let description = [{
    After bufferization: an `scf.for` result whose loop yields the iter_arg
    unchanged (a tiled in-place update) is its init buffer; its uses are
    switched to that buffer, so that out-params are written in place and
    the arena plans the allocation. A returned result whose init is a
    function argument, or would then be returned twice, is left alone
    (out-param conversion handles neither).
  }];
  let dependentDialects = ["mlir::scf::SCFDialect"];
  let statistics = [
    Statistic<"numFolded", "folded", "Loop results replaced by their init">,
  ];
}

def KilnCPUReturnAllocations
    : Pass<"kiln-cpu-return-allocations", "mlir::func::FuncOp"> {
  let summary = "Returns allocations rather than reshaped views of them";
  let description = [{
    After bufferization (and `kiln-cpu-fold-loop-results`): a returned
    memref that is a `memref.collapse_shape` / `memref.expand_shape` chain
    over a static `memref.alloc` becomes an allocation itself, so that
    `buffer-results-to-out-params` writes the out-param in place instead of
    copying the view into it at the return. When the chain ends in the
    allocation's own type (a GEMM kernel's C viewed as [M, N/nr, nr] and
    back), the allocation is returned. When it is one reshape of the
    allocation (a bias gradient computed as [4, 64] and returned as [256]),
    the buffer is allocated in the returned shape and its other users see
    it through the inverse reshape. An allocation that would then be
    returned twice, or a layout other than the identity, is left alone.
  }];
  let dependentDialects = ["mlir::memref::MemRefDialect"];
  let statistics = [
    Statistic<"numReturned", "returned",
              "Returned reshapes replaced by their allocation">,
  ];
}

def KilnCPUMatmulKernels
    : Pass<"kiln-cpu-matmul-kernels", "mlir::func::FuncOp"> {
  let summary = "Tiles, packs and vectorizes f32 matmuls for the host CPU";
  let description = [{
    CPU code generation for contractions, on tensors (before bufferization).
    Every `linalg.matmul` and `linalg.batch_matmul` with static shapes and
    f32 operands (any operand transposition the indexing maps express) whose
    size reaches `min-flops` becomes a GEMM kernel:

    - the right-hand side is packed into panels of `nr` columns,
      `B[K, N] -> Bp[N/nr, K, nr]` (a `linalg.transpose` of a free
      `tensor.expand_shape`), so that the micro-kernel reads it contiguously;
      a B already laid out `[K, N]` and smaller than `pack-min-bytes` (an
      image's im2col, which stays in cache) is read in place instead, as
      `B[K, N/nr, nr]`, saving the copy;
      the result is computed in place through `C[M, N] -> C[M, N/nr, nr]`;
    - the computation is a `linalg.generic` over (batch, n1, m, k, n0), tiled
      into an `scf.forall` (one tile per thread: batch, then column panels,
      then rows), cache blocks (`kc` x `mc`), and an `mr` x `nr` register
      tile that `linalg::vectorize` turns into a `vector.contract`; the
      accumulator tile is hoisted out of the innermost `k` loop, so it lives
      in registers (8 x 32 f32 = 16 AVX-512 registers);
    - rows and columns that do not fill a register tile (`M % mr`,
      `N % nr`) are split off and get kernels of their own whose register
      tile is exactly the remainder (a matmul narrower than a tile gets a
      narrower tile), so no part of the product stays a scalar loop;
    - a product with few, odd columns and many rows (the filter gradient of
      a 3-channel 3x3 convolution is 32 x 27) is computed transposed,
      `C^T = B^T A^T` between two `linalg.transpose`s of C, when that needs
      at most 3/4 of the vector instructions per k step (a 27-lane vector
      costs 16 + 8 + 2 + 1);
    - a C that starts as a `linalg.fill` (the zeros of a product) is not
      filled: each register tile is set to the fill's value before its
      first k block (under `scf.if (k0 == 0)` when K spans several cache
      blocks), and C is built from the fill's destination;
    - with `fuse-epilogues`, the elementwise `linalg.generic` that is the
      only reader of the product (bias, activation, residual, an
      activation-gradient mask, an SGD update of the weight whose gradient
      it is), directly or through an expand_shape of the rows or batch, is
      computed on each register tile right after the tile's last
      k block, while the tile is in registers, and written in place of C:
      the product is never stored and read back in a second pass. Its
      other results (Adam's m and v, a saved mask) are written on the same
      tiles, into tensors the loops carry next to C; the matmul moves after
      the epilogue's inputs when they are defined after it. The generic's
      results must be shaped like C with identity maps, it must read C
      through the identity map, read none of its outputs, not use
      `linalg.index`, read and write only elements of 8 bits or more, and
      the kernel must be one piece (no remainders split off, not
      transposed).

    Later stages of the CPU pipeline lower `scf.forall` to OpenMP and the
    vector ops to LLVM (outer products become FMAs).
  }];
  let options = [
    Option<"mr", "mr", "int64_t", "8", "Rows of the register tile">,
    Option<"nr", "nr", "int64_t", "32",
           "Columns of the register tile (f32 elements; a multiple of the "
           "vector width)">,
    Option<"kc", "kc", "int64_t", "256",
           "Depth of a cache block (reduction steps per pass over C)">,
    Option<"mc", "mc", "int64_t", "128",
           "Rows of a cache block (rounded to a divisor of the rows)">,
    Option<"packMinBytes", "pack-min-bytes", "int64_t", "524288",
           "A right-hand side already laid out [K, N] is read in place "
           "when it has fewer bytes (per batch) than this, and packed into "
           "panels otherwise (0: always pack)">,
    Option<"numThreads", "num-threads", "int64_t", "0",
           "Threads to split each kernel across (0: OMP_NUM_THREADS, else "
           "the host's cores; "
           "1: no scf.forall)">,
    Option<"minFlops", "min-flops", "int64_t", "65536",
           "Smallest matmul (2*M*N*K) turned into a kernel">,
    Option<"fuseEpilogues", "fuse-epilogues", "bool", "true",
           "Compute the product's elementwise reader on the kernel's "
           "register tiles (kiln-cpu-lower-to-llvm sets it with "
           "--fuse-elementwise)">,
  ];
  let dependentDialects = [
    "mlir::affine::AffineDialect", "mlir::arith::ArithDialect",
    "mlir::linalg::LinalgDialect", "mlir::scf::SCFDialect",
    "mlir::tensor::TensorDialect", "mlir::vector::VectorDialect",
  ];
  let statistics = [
    Statistic<"numKernels", "kernels", "Matmuls turned into GEMM kernels">,
    Statistic<"numPackedPanels", "packed-operands",
              "Right-hand sides packed into column panels">,
    Statistic<"numInPlaceB", "in-place-operands",
              "Right-hand sides read in place (small, already [K, N])">,
    Statistic<"numSplitRemainders", "split-remainders",
              "Row or column remainders split off a kernel">,
    Statistic<"numTransposed", "transposed",
              "Matmuls computed as C^T = B^T A^T (few, odd columns)">,
    Statistic<"numSkipped", "skipped",
              "Matmuls left as they were (small, dynamic, not f32)">,
    Statistic<"numFusedEpilogues", "fused-epilogues",
              "Elementwise readers computed on the kernels' register tiles">,
    Statistic<"numTileInits", "tile-inits",
              "Fills of C replaced by each register tile's initial value">,
  ];
}

def KilnCPUSparseWeights
    : Pass<"kiln-cpu-sparse-weights", "mlir::func::FuncOp"> {
  let summary = "Computes matmuls on marked, mostly-zero weights with MLIR's "
                "sparse compiler";
  let description = [{
    CPU code generation for products with a sparse weight, on tensors
    (before `kiln-cpu-matmul-kernels`, which leaves marked matmuls alone).

    Contract with the pass that marks weights: a `linalg.matmul` that
    carries the discardable attribute `kiln.sparse_weight` (a unit
    attribute; any value is accepted and ignored) promises that its
    right-hand side `B[K, N]` is mostly zeros (as a rule of thumb at least
    90%: below that the sparse code is slower than the dense GEMM kernel,
    see bench/sparse/run.py). B stays an ordinary dense tensor (a weight
    that training updates every step); the marker is a compile-time
    promise, nothing is checked at run time, and a wrong promise costs
    time, never correctness (zeros are just stored). The matmul must be the
    plain 2-D f32 form on static tensors (default indexing maps); a marked
    matmul of another form gets a remark, loses the marker and is left to
    the dense kernels (`kiln-cpu-matmul-kernels` skips marked matmuls).

    Each marked matmul `Y = X B` (X `[M, K]`) becomes a conversion of B to
    CSC, B's columns compressed (`(k, n) -> (n : dense, k : compressed)`,
    every call, since B changes), and a `linalg.generic` on the sparse
    operand, tagged `kiln.sparse_product`, in one of two forms:

    - `rows` (M below `min-columns-rows`): loops `(m, n, k in column n)`,
      `Y[m, n] += X[m, k] * B[k, n]`; no copies of X or Y, the innermost
      loop a gather from X's row and a sum.
    - `columns`: X and Y transposed around the product, loops
      `(n, k in column n, m)`: `YT[n, m] += B[k, n] * XT[k, m]`; the
      innermost loop runs along M over contiguous rows of XT and YT (plain
      vector loads and FMAs, no gathers), and the outer loop over N is
      parallel. Done per tile of `columns-tile-rows` rows of X (statically
      unrolled `tensor.extract_slice`/`insert_slice`), so that XT's tile
      stays in L2 and the transposes stay short.

    With `conversion=vector` (and 32-bit indices) the pass builds the CSC
    form itself: a count of each column's nonzeros with vector compares
    along N (each compare's mask kept in a bitmap), a prefix sum into the
    positions, then a scan of the bitmap, 64 columns at a time, that
    stores the row coordinates and values at per-column cursors (rows
    visited in order, so each column stays sorted), the three buffers
    wrapped by `sparse_tensor.assemble`; both passes split B's columns
    among `num-threads` threads (`scf.forall`). It reads B once as vectors
    and once where it is nonzero; `sparse_tensor.convert` to CSC
    (`conversion=convert`, the reference) sorts, several times slower.
    Exact zeros are dropped, NaNs kept.

    A B that is already CSC (a `sparse_tensor` type with levels (n dense,
    k compressed), any index widths: a weight stored compressed, e.g.
    assembled from its buffers) is used as it is, with no conversion.
    Another sparse encoding is not taken (remark; the matmul is left as it
    is).

    The transposes are dense `linalg.transpose` ops, vectorized and
    threaded by `kiln-cpu-vectorize`; an accumulator that is a
    `linalg.fill` (the usual zeros) is filled transposed instead of copied. The module then holds sparse tensors,
    which makes `kiln-cpu-bufferize` send it through the sparse compiler
    (`sparsification-and-bufferization`, pure code generation, no runtime
    library).
  }];
  let options = [
    Option<"form", "form", "std::string", "\"auto\"",
           "auto (columns when X has at least min-columns-rows rows, else "
           "rows), rows or columns">,
    Option<"minColumnsRows", "min-columns-rows", "int64_t", "16",
           "Rows of X from which the auto form is `columns`">,
    Option<"columnsTileRows", "columns-tile-rows", "int64_t", "256",
           "Rows of X per product in the columns form (0: all)">,
    Option<"indexBits", "index-bits", "int64_t", "32",
           "Bit width of the sparse positions and coordinates (0: index; "
           "other than 32 implies conversion=convert)">,
    Option<"conversion", "conversion", "std::string", "\"vector\"",
           "How B becomes CSC: vector (built by the pass, vectorized) or "
           "convert (sparse_tensor.convert)">,
    Option<"numThreads", "num-threads", "int64_t", "0",
           "Threads of the vector conversion (0: OMP_NUM_THREADS, else the "
           "host's cores; 1: no scf.forall)">,
  ];
  let dependentDialects = [
    "mlir::arith::ArithDialect", "mlir::bufferization::BufferizationDialect",
    "mlir::linalg::LinalgDialect", "mlir::math::MathDialect",
    "mlir::memref::MemRefDialect",
    "mlir::scf::SCFDialect", "mlir::sparse_tensor::SparseTensorDialect",
    "mlir::tensor::TensorDialect", "mlir::vector::VectorDialect",
  ];
  let statistics = [
    Statistic<"numRows", "rows", "Marked matmuls computed in the rows form">,
    Statistic<"numColumns", "columns",
              "Marked matmuls computed in the columns form">,
    Statistic<"numSkipped", "skipped",
              "Marked matmuls left dense (not a static 2-D f32 matmul)">,
    Statistic<"numStoredCSC", "stored-csc",
              "Marked matmuls whose weight was already CSC (no conversion)">,
  ];
}

def KilnCPUBufferize : Pass<"kiln-cpu-bufferize", "mlir::ModuleOp"> {
  let summary = "One-shot bufferization, through the sparse compiler when the "
                "module has sparse tensors";
  let description = [{
    The CPU pipeline's bufferization step. A module without sparse tensor
    types anywhere gets exactly `one-shot-bufferize{
    bufferize-function-boundaries function-boundary-type-conversion=
    identity-layout-map}`, the pipeline's step before this pass existed.

    A module with sparse tensors (from `kiln-cpu-sparse-weights`) runs
    `sparsification-and-bufferization` instead: the sparse compiler's loops
    over the nonzeros (vectorized with `vl`, their dense outermost loop an
    `scf.parallel` with `parallelize`, which the pipeline lowers to
    OpenMP), the sparse tensors as plain position/coordinate/value buffers
    (no runtime library), and the one-shot bufferization of the dense ops
    with identity layouts at function boundaries; then
    `sparse-storage-specifier-to-llvm`. The sparse code allocates its
    buffers without freeing them; the pipeline's buffer deallocation frees
    them like the others. The private helpers it calls (insertion into the
    compressed level) return dynamically sized buffers, which
    `buffer-results-to-out-params` rejects: they are inlined and erased.
    The float multiplies and adds in the sparse loops get
    `fastmath<contract>` (the sparsifier drops the body's flags), so that
    LLVM fuses them into FMAs, as in the dense GEMM kernels.
  }];
  let options = [
    Option<"vectorLength", "vl", "int32_t", "16",
           "Vector length of the sparse loops (0: scalar; 16 f32 = one "
           "AVX-512 register)">,
    Option<"simdIndex32", "enable-simd-index32", "bool", "true",
           "32-bit indices in the vector gathers and scatters">,
    Option<"parallelize", "parallelize", "bool", "true",
           "Dense outermost sparse loops as scf.parallel (OpenMP)">,
  ];
  let dependentDialects = [
    "mlir::arith::ArithDialect", "mlir::bufferization::BufferizationDialect",
    "mlir::func::FuncDialect", "mlir::LLVM::LLVMDialect",
    "mlir::memref::MemRefDialect", "mlir::scf::SCFDialect",
    "mlir::sparse_tensor::SparseTensorDialect", "mlir::vector::VectorDialect",
  ];
  let statistics = [
    Statistic<"numSparseModules", "sparse-modules",
              "Modules bufferized through the sparse compiler">,
    Statistic<"numAccumulators", "register-accumulators",
              "Output vectors of sparse loops kept in registers">,
  ];
}

//===----------------------------------------------------------------------===//
// CUDA code generation (lib/Codegen/CUDA)
//===----------------------------------------------------------------------===//

def KilnCUDAThreadTiles
    : Pass<"kiln-cuda-thread-tiles", "mlir::func::FuncOp"> {
  let summary = "Splits each outermost scf.parallel into blocks of threads";
  let description = [{
    Before `gpu-map-parallel-loops`, which maps an outermost `scf.parallel`
    to the grid and the parallel loop nested in it to the threads of a
    block. `convert-linalg-to-parallel-loops` gives one loop per linalg op
    with no nested parallel loop, i.e. one thread per block. This pass tiles
    one dimension of every outermost parallel loop by `threads` (its second
    dimension, thread id y, or the first of a one-dimensional loop: thread
    id z allows only 64; a smaller static extent is its own tile), so that
    the intra-tile loop becomes the block's threads. Consecutive threads
    then touch consecutive elements of a row-major 2-d buffer. The other dimensions keep tile size 1.
    Extents that the tile does not divide give an `affine.min` bound, which
    `convert-parallel-loops-to-gpu` turns into a guard.
  }];
  let options = [
    Option<"threads", "threads", "int64_t", "256",
           "Threads per block along the tiled dimension (at most 1024)">,
  ];
  let dependentDialects = [
    "mlir::affine::AffineDialect", "mlir::arith::ArithDialect",
    "mlir::scf::SCFDialect",
  ];
  let statistics = [
    Statistic<"numTiled", "tiled-loops", "Parallel loops split into blocks">,
  ];
}

def KilnCUDAParallelDimsFirst
    : Pass<"kiln-cuda-parallel-dims-first", "mlir::func::FuncOp"> {
  let summary = "Puts the parallel loops of every linalg op outside its reductions";
  let description = [{
    Before `convert-linalg-to-parallel-loops` in the CUDA pipeline. That
    conversion keeps a linalg op's loop order, and a reduction dimension
    ahead of a parallel one becomes a sequential loop around the parallel
    loop: on the GPU, a host loop that launches one kernel per iteration
    (a bias gradient summed over a batch of 256 launched 256 kernels).
    This pass permutes the iteration space of every such op so that its
    parallel dimensions come first, in their order, then its reduction
    dimensions, in theirs (named ops are generalized first). The result
    is one kernel, each thread looping over the reduction. The arithmetic
    per output element is unchanged, in the same order.
  }];
  let dependentDialects = ["mlir::linalg::LinalgDialect"];
  let statistics = [
    Statistic<"numReordered", "reordered-ops",
              "Linalg ops whose parallel dimensions were moved first">,
  ];
}

def KilnCUDAHostSharedMemory
    : Pass<"kiln-cuda-host-shared-memory", "mlir::func::FuncOp"> {
  let summary = "Puts the host code's buffers in memory the GPU can address";
  let description = [{
    After `gpu-kernel-outlining`, on host functions: every buffer that a
    kernel may read or write must live in memory the device can address.
    `memref.alloc` becomes `gpu.alloc host_shared` (CUDA managed memory,
    also readable by the host code between launches) and `memref.dealloc`
    `gpu.dealloc`. `memref.alloca` becomes such an allocation freed at the
    end of its block. A `memref.get_global` (a constant of the program) is
    copied into such an allocation, freed at the end of its block: a kernel
    cannot read the host's globals. A global that leaves its block through a
    terminator is an error.
    The caller's buffers (function arguments) are the caller's business:
    Kiln's CUDA executor passes managed memory.
  }];
  let dependentDialects = [
    "mlir::gpu::GPUDialect", "mlir::memref::MemRefDialect",
  ];
  let statistics = [
    Statistic<"numAllocs", "allocs", "memref.alloc/alloca made host-shared">,
    Statistic<"numGlobals", "globals", "Globals copied into host-shared memory">,
    Statistic<"numStaticBytes", "static-bytes",
              "Bytes of the statically shaped host-shared buffers">,
  ];
}

#endif // KILN_CONVERSION_PASSES_TD
