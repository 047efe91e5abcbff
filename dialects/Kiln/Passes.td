//===- Passes.td - Graph passes over the kiln dialect ------*- tablegen -*-===//
//
// Part of the Kiln project: an MLIR compiler for training programs.
//
//===----------------------------------------------------------------------===//
//
// Passes that transform programs within the kiln dialect (implemented one
// per file under passes/).
//
//===----------------------------------------------------------------------===//

#ifndef KILN_PASSES_TD
#define KILN_PASSES_TD

include "mlir/Pass/PassBase.td"

def KilnCostReport : Pass<"kiln-cost-report", "mlir::func::FuncOp"> {
  let summary = "Sums the FLOPs and bytes moved of every kiln op";
  let description = [{
    Asks every op that implements `CostOpInterface` for its FLOPs and bytes
    moved and reports the totals as pass statistics (and, with
    `emit-remarks`, as a remark on the function) so that the cost of a
    program is visible before and after a transformation.
  }];
  let options = [
    Option<"emitRemarks", "emit-remarks", "bool", "false",
           "Also emit a remark with the totals on each function">,
  ];
  let statistics = [
    Statistic<"numCostedOps", "costed-ops", "Ops that reported a cost">,
    Statistic<"numUncostedOps", "uncosted-ops",
              "Kiln ops whose cost is unknown (dynamic shapes)">,
    Statistic<"totalFlops", "flops", "Total arithmetic operations">,
    Statistic<"totalBytes", "bytes-moved", "Total bytes moved, unfused">,
  ];
}

def KilnFusionGraph : Pass<"kiln-fusion-graph", "mlir::ModuleOp"> {
  let summary = "Writes the dataflow graph with its fusion groups (DOT or SVG)";
  let description = [{
    A picture of what `kiln-fuse` did: every function of the module is a
    cluster of the graph; every op that computes (constants and terminators
    left out) is a node labelled with its name and result shape; every
    `kiln.fusion_group` is a nested cluster, labelled with its kind, around
    the ops fused into it; edges follow def-use, through the groups'
    inputs and results to the ops inside. Function arguments are input
    nodes, named by their ONNX names where the importer kept them.
    Written as Graphviz DOT, or with `format=svg` as SVG through Graphviz's
    `dot` (Debian's graphviz). The IR is not changed.
  }];
  let options = [
    Option<"out", "out", "std::string", "\"\"",
           "The file to write (required)">,
    Option<"format", "format", "std::string", "\"dot\"",
           "dot (Graphviz source) or svg (rendered by Graphviz's dot)">,
  ];
  let statistics = [
    Statistic<"numNodes", "nodes", "Op and argument nodes drawn">,
    Statistic<"numGroups", "groups", "Fusion groups drawn as clusters">,
    Statistic<"numEdges", "edges", "Def-use edges drawn">,
  ];
}

def KilnMakeTrainStep : Pass<"kiln-make-train-step", "mlir::ModuleOp"> {
  let summary = "Turns an inference function into a training step";
  let description = [{
    Adds a loss on a named output against a new label argument, computes
    the gradients of the loss with respect to the trainable weights (float
    constants by default, which become arguments) with a `kiln.gradient`
    request (expanded by `--kiln-autodiff`, which this pass runs), and
    applies the chosen optimizer. The resulting function takes the original
    inputs, the label, the weights and the optimizer state, and returns the
    loss, the updated weights and the updated optimizer state.
  }];
  let options = [
    Option<"loss", "loss", "std::string", "\"cross-entropy\"",
           "Loss: cross-entropy (softmax cross-entropy on logits), nll "
           "(on log-probabilities) or mse">,
    Option<"output", "output", "std::string", "\"\"",
           "ONNX name of the output the loss applies to (default: the first)">,
    Option<"optimizer", "optimizer", "std::string", "\"sgd\"",
           "sgd, momentum, nesterov, adam or adagrad">,
    Option<"learningRate", "lr", "double", "0.01", "Learning rate">,
    Option<"momentum", "momentum", "double", "0.9", "Momentum coefficient">,
    Option<"beta1", "beta1", "double", "0.9", "Adam beta1">,
    Option<"beta2", "beta2", "double", "0.999", "Adam beta2">,
    Option<"epsilon", "epsilon", "double", "1e-8", "Adam/Adagrad epsilon">,
    Option<"weightDecay", "weight-decay", "double", "0.0",
           "L2 coefficient added to the gradient (ONNX norm_coefficient)">,
    ListOption<"trainable", "trainable", "std::string",
               "ONNX names of trainable weights (default: every float "
               "initializer)">,
    Option<"quantize", "quantize", "std::string", "\"\"",
           "Train in low precision: run kiln-quantize with this mode "
           "(bf16, f16) in place of kiln-autodiff">,
    Option<"lossScale", "loss-scale", "double", "-1.0",
           "With quantize: kiln-quantize's loss-scale (negative: the mode's "
           "default)">,
    Option<"lossScaleGrowthInterval", "loss-scale-growth-interval",
           "int64_t", "2000",
           "With quantize: kiln-quantize's growth-interval">,
    Option<"sparsify", "sparsify", "std::string", "\"\"",
           "Train sparse: run kiln-sparsify with these options before "
           "differentiating, e.g. sparsify={mode=magnitude sparsity=0.9 "
           "end-step=200} (see docs/passes/sparsify.md)">,
  ];
  let statistics = [
    Statistic<"numTrainable", "trainable-weights", "Weights made trainable">,
  ];
}

def KilnQuantize : Pass<"kiln-quantize", "mlir::ModuleOp"> {
  let summary = "Low-precision training: bf16/f16 mixed precision with loss scaling";
  let description = [{
    Rewrites every training step of the module (a function with
    `kiln.update_binding` that still holds its `kiln.gradient` request) to
    train in a lower precision, then expands the request (it runs
    kiln-autodiff, as kiln-make-train-step does; make-train-step's
    `quantize=` option runs this pass in its place).

    `mode=bf16` / `mode=f16` (mixed precision): every forward op of an
    allowed kind computes on operands rounded to the low type and its
    results are rounded to it (`kiln.cast` to the low type and back), so a
    matmul or convolution multiplies low-precision numbers and accumulates
    in f32. Reductions, softmax, exp/log and the loss stay f32; the weights
    stay f32 arguments (master weights) and the optimizer update is f32.
    Autodiff's cast rule rounds the gradients at the same points. After
    autodiff every reader of a rounded value gets its own widening cast, so
    that what the backward pass keeps from the forward pass is the
    low-precision tensor. With f16 (or any mode given
    `loss-scale`), dynamic loss scaling: the request
    differentiates `loss * S`, the gradients are divided by S, and a step
    whose gradients hold an inf or a NaN keeps every state value (weights,
    optimizer state, step count); S halves on such a step and doubles after
    `growth-interval` clean ones. S and the clean-step count are new state
    (initialized in the init function); the step returns `skipped` and
    `loss_scale_used`, which kiln-run prints each step.

    `mode=adam-8bit` (alone or with a precision: `mode=bf16,adam-8bit`):
    optimizer state tensors (bound state arguments that are not weights)
    of at least `min-8bit-elements` elements are stored block-wise in 8
    bits: blocks of `block-size` elements, each an f32 absmax and i8 codes
    of the nearest value of bitsandbytes' signed dynamic (tree) map to
    `x / absmax`, dequantized at the start of
    the step and quantized again before it returns (the init function
    quantizes the initial state). Smaller state stays f32.

    `mode=qat-int8` (alone or with adam-8bit): every forward matmul and
    conv2d reads fake-quantized int8 operands: weights per output channel
    (scale max|w| / 127), activations per tensor with an observer (a moving
    average of max|x|, new state `qat.amax_K`), each as
    `x + stop_gradient(q - x)` (straight-through gradient).

    `mode=fp8` (alone or with adam-8bit): every operand of a forward
    matmul and conv2d (but the first and the last, which stay f32, when
    there are at least three: `keep-first-last`) is rounded to E4M3 (f8E4M3FN) with a per-tensor scale
    from an amax history (delayed scaling: `amax-history` steps, `margin`),
    new state `fp8.amax_K`, as `x + stop_gradient(q - x)`; the gradient
    reaching each matmul/conv2d result is rounded to E5M2 (f8E5M2) while
    its value is not, with its own delayed per-tensor scale (57344 /
    2^margin over the history `fp8.grad_amax_K` of that gradient's max|g|;
    the current max|g| on the first step), so no loss scaling is needed
    (`loss-scale=S` still adds it).

    A remark per step reports the ops rounded and the bytes of weights,
    activations (the tensors the forward pass computes, at their storage
    type, before and after) and optimizer state.
  }];
  let options = [
    Option<"mode", "mode", "std::string", "\"\"",
           "bf16, f16, fp8, qat-int8, adam-8bit, or one of the first "
           "four with adam-8bit (bf16,adam-8bit)">,
    ListOption<"allow", "allow", "std::string",
               "kiln op kinds computed in the low type (default: matmul, "
               "conv2d, elementwise arithmetic and data movement)">,
    ListOption<"deny", "deny", "std::string",
               "kiln op kinds kept in f32 (removed from the allowed ones)">,
    Option<"lossScale", "loss-scale", "double", "-1.0",
           "Initial loss scale S (negative: 65536 for f16, none "
           "otherwise; 0: no loss scaling)">,
    Option<"dynamicLossScale", "dynamic-loss-scale", "bool", "true",
           "Halve S on an overflowing step, double it after growth-interval "
           "clean steps (false: S stays, overflowing steps are still "
           "skipped)">,
    Option<"growthInterval", "growth-interval", "int64_t", "2000",
           "Clean steps before S doubles">,
    Option<"amaxHistory", "amax-history", "int64_t", "16",
           "fp8: steps of amax kept per tensor for its delayed scale">,
    Option<"margin", "margin", "int64_t", "0",
           "fp8: scale operands to 448 (gradients to 57344) / 2^margin "
           "of their past amax">,
    Option<"keepFirstLast", "keep-first-last", "bool", "true",
           "fp8: leave the first and last forward contractions (program "
           "order) in f32 when there are at least three">,
    Option<"observerDecay", "observer-decay", "double", "0.99",
           "qat-int8: weight of the old range in the activation observers' "
           "moving average">,
    Option<"blockSize", "block-size", "int64_t", "2048",
           "adam-8bit: elements per quantization block">,
    Option<"min8BitElements", "min-8bit-elements", "int64_t", "4096",
           "adam-8bit: state tensors with fewer elements stay f32">,
  ];
  let statistics = [
    Statistic<"numRoundedOps", "rounded-ops", "Ops computed in the low type">,
    Statistic<"numUpcastCopies", "upcast-copies",
              "Widening casts copied so that each reader has its own">,
    Statistic<"numStateTensors", "state-tensors-8bit",
              "Optimizer state tensors stored in 8-bit blocks">,
  ];
}

def KilnSparsify : Pass<"kiln-sparsify", "mlir::ModuleOp"> {
  let summary = "Sparse training: pruning schedules, N:M masks, RigL";
  let description = [{
    Rewrites every training step of the module (a function with
    `kiln.update_binding` that still holds its `kiln.gradient` request) to
    train with masked weights. It leaves the request in place, so that
    kiln-quantize or kiln-autodiff runs next (kiln-make-train-step's
    `sparsify=` option runs this pass before either).

    The pruned weights are the trained weights that a forward `kiln.matmul`
    or `kiln.conv2d` reads (directly or through a transpose or reshape) and
    that have at least `min-elements` elements. Each gets a mask: new state
    `sparsity.mask_K` (f32 zeros and ones shaped like the weight, all ones
    in the init function). Every step

    - reads the weight through `w * mask` in the forward pass, so the
      gradient of `w` is masked too (`dw = dy_eff * mask`);
    - stores `update(w) * mask` as the new weight: a masked weight is zero
      after every step, whatever the optimizer's momentum says;
    - counts steps in new state `sparsity.step` and returns `sparsity`, the
      fraction of pruned weights (kiln-run prints it with the loss).

    `mode=magnitude`: gradual magnitude pruning (Zhu & Gupta, 2017). At step
    `t` the target is `s_t = s (1 - (1 - p)^3)`, `p = (t - start) / (end -
    start)` clamped to [0, 1]; on steps `start + j frequency` (and at `end`)
    the mask becomes `|w| > threshold`, where the threshold
    (`kiln.magnitude_threshold`) is the `floor(s_t n)`-th smallest magnitude
    of the weight (`scope=layer`) or of all pruned weights together
    (`scope=global`). Masks only shrink.

    `mode=nm`: N:M structured sparsity, `n` of every `m` consecutive
    weights along the reduction dimension kept. With `transposable`, masks
    are chosen per `m x m` block so that every row and every column of the
    block keeps `n`: the mask is N:M for both `W` and `W^T`, so the
    backward product `dy W^T` has the structure too (the pattern of largest
    total magnitude among all such blocks, an exhaustive search). The mask
    is computed at step `start-step` (dense before).

    `mode=rigl`: dynamic sparse training (Evci et al., 2020). From
    `start-step` the weight keeps `1 - sparsity` of its entries (the largest
    at that step). Every `frequency` steps until `end-step`, a fraction
    `f_t = drop-fraction / 2 (1 + cos(pi (t - start) / (end - start)))`
    of the active weights with the smallest magnitude is dropped and the
    same number of inactive weights where the dense gradient (the gradient
    of `w * mask`, requested from the same `kiln.gradient`) is largest is
    grown, starting at zero.

    Code generation: with `sparse-codegen=auto` (the default), each
    forward 2-D `kiln.matmul` whose right-hand side is a pruned weight with
    a target sparsity of at least `sparse-threshold` is marked
    `kiln.sparse_weight`; the CPU pipeline computes it with MLIR's sparse
    compiler (kiln-cpu-sparse-weights). `always` marks every such product,
    `never` none.

    A remark per step reports each pruned weight (shape, target sparsity),
    the forward FLOPs the target sparsity makes avoidable and the products
    marked sparse.
  }];
  let options = [
    Option<"mode", "mode", "std::string", "\"\"",
           "magnitude, nm or rigl">,
    Option<"sparsity", "sparsity", "double", "0.9",
           "magnitude and rigl: the final fraction of pruned weights">,
    Option<"scope", "scope", "std::string", "\"layer\"",
           "magnitude: layer (each weight reaches the sparsity) or global "
           "(one threshold over all pruned weights)">,
    Option<"startStep", "start-step", "int64_t", "0",
           "First step that prunes (nm: the step that fixes the mask)">,
    Option<"endStep", "end-step", "int64_t", "1000",
           "magnitude: step at which the final sparsity is reached; rigl: "
           "last step that updates masks">,
    Option<"frequency", "frequency", "int64_t", "100",
           "magnitude and rigl: steps between mask updates">,
    Option<"n", "n", "int64_t", "2", "nm: weights kept per group">,
    Option<"m", "m", "int64_t", "4", "nm: group size">,
    Option<"transposable", "transposable", "bool", "true",
           "nm: masks that are N:M for W and for W^T (m x m blocks)">,
    Option<"dropFraction", "drop-fraction", "double", "0.3",
           "rigl: fraction of active weights replaced at the first update "
           "(cosine-decayed to 0 at end-step)">,
    Option<"minElements", "min-elements", "int64_t", "1",
           "Weights with fewer elements stay dense">,
    Option<"sparseCodegen", "sparse-codegen", "std::string", "\"auto\"",
           "auto: mark the forward 2-D matmuls whose weight will be at "
           "least sparse-threshold sparse as kiln.sparse_weight (computed "
           "by MLIR's sparse compiler on the CPU); always; never">,
    Option<"sparseThreshold", "sparse-threshold", "double", "0.9",
           "sparse-codegen=auto: the target sparsity from which a product "
           "is compiled sparse (bench/sparse/run.py: below about 90% zeros "
           "the dense GEMM kernels win)">,
  ];
}

def KilnAutodiff : Pass<"kiln-autodiff", "mlir::func::FuncOp"> {
  let summary = "Expands kiln.gradient requests by reverse-mode differentiation";
  let description = [{
    For every `kiln.gradient %y wrt %xs` in a function, walks the ops that
    compute `y` from the `xs` backwards and emits their gradient rules
    (`DifferentiableOpInterface`), accumulating gradients of values with
    several uses, then replaces the request by the gradients. Integer and
    boolean values get no gradient; `kiln.stop_gradient` and constants cut
    the flow. An op on the path without a rule is an error naming it.
  }];
  let statistics = [
    Statistic<"numRequests", "requests", "kiln.gradient ops expanded">,
    Statistic<"numRulesApplied", "rules", "Gradient rules applied">,
  ];
}

def KilnAssignDestinations
    : Pass<"kiln-assign-destinations", "mlir::func::FuncOp"> {
  let summary = "Chooses where each linalg op writes before bufferization";
  let description = [{
    Runs on tensor-level linalg IR just before one-shot bufferization, which
    gives every `tensor.empty` destination its own buffer, allocated where
    the `tensor.empty` stands. Two rewrites make that buffer choice lean:

    - *Private destinations.* A `tensor.empty` with several users (CSE
      merges equal ones) would tie the buffers of unrelated ops together
      and keep one of them alive from the first user to the last. Each use
      gets its own `tensor.empty`, placed right before the user, so each
      buffer lives from its op to its last reader. Likewise each op that
      writes into a shared `linalg.fill` of a `tensor.empty` (a zero
      accumulator merged by CSE) gets its own fill right before it.
    - *Dying inputs.* An all-parallel `linalg.generic` whose body ignores
      the old contents of an output writes that output into an input of the
      same type and indexing map when the input is the result of a
      destination-style op in the same block and nothing reads it after
      this generic (earlier readers only read it): one-shot
      bufferization then updates the input's buffer in place instead of
      allocating another one (`y = relu(x + b)` needs one buffer, not
      three).

    Values are unchanged; only destinations move. Inputs that are function
    arguments or constants are never written.
  }];
  let dependentDialects = ["mlir::tensor::TensorDialect"];
  let statistics = [
    Statistic<"numSplitEmpties", "split-empties",
              "Shared tensor.empty destinations given one per user">,
    Statistic<"numSplitFills", "split-fills",
              "Shared linalg.fill destinations given one per writer">,
    Statistic<"numReusedInputs", "reused-inputs",
              "Outputs written into an input that dies at the op">,
  ];
}

def KilnPlanMemory : Pass<"kiln-plan-memory", "mlir::func::FuncOp"> {
  let summary = "Places a function's transient buffers in one arena by liveness";
  let description = [{
    Runs on memref-level IR after bufferization (and results-to-out-params).
    Every static-shaped `memref.alloc` in the function's body block (and
    every `memref.alloca` of at least `min-alloca-bytes`) gets a live
    interval in program order, from its definition to the last use of the
    buffer or of any alias (views, casts, region ops and calls that take
    it). The buffers are packed into one arena, greedy by size with best
    fit, at `alignment`; each allocation becomes a `memref.view` of the
    arena, which is allocated once at function entry. Matching
    `memref.dealloc`s are erased and, when there were any, the arena is
    deallocated before the return; otherwise the arena is left to the
    deallocation pipeline like any other allocation. Allocations with
    dynamic shapes, inside loops or other regions, and buffers that are
    returned or freed in other ways stay separate and are counted.

    The function gets `kiln.arena_bytes`, `kiln.planned_buffers`,
    `kiln.unplanned_allocs`, `kiln.unplanned_bytes` and
    `kiln.dynamic_allocs` (i64 attributes), and a remark reports the arena
    size against one allocation per buffer.
  }];
  let dependentDialects = [
    "mlir::arith::ArithDialect",
    "mlir::memref::MemRefDialect",
  ];
  let options = [
    Option<"alignment", "alignment", "int64_t", "64",
           "Byte alignment of every buffer offset and of the arena">,
    Option<"minAllocaBytes", "min-alloca-bytes", "int64_t", "4096",
           "memref.allocas of at least this many bytes move into the arena "
           "(negative: none)">,
    Option<"numThreads", "num-threads", "int64_t", "0",
           "Threads that run the iterations of an scf.forall: an "
           "allocation in its body counts once per concurrent iteration "
           "(0: OMP_NUM_THREADS, else the host's cores)">,
    Option<"explainPeak", "explain-peak", "bool", "false",
           "Emit a remark for each buffer live at the point where the most "
           "bytes are live, at the location of the op that first writes it">,
  ];
  let statistics = [
    Statistic<"numPlanned", "planned-buffers", "Buffers placed in an arena">,
    Statistic<"numArenaBytes", "arena-bytes", "Bytes of the arenas">,
    Statistic<"numNaiveBytes", "naive-bytes",
              "Bytes of the planned buffers as separate allocations">,
    Statistic<"numUnplanned", "unplanned-allocs",
              "Heap allocations left separate (dynamic, nested, escaping)">,
  ];
}

def KilnFuse : Pass<"kiln-fuse", "mlir::func::FuncOp"> {
  let summary = "Forms fusion groups (kiln.fusion_group) by a bytes-moved cost model";
  let description = [{
    Groups kiln ops that should run as one kernel into `kiln.fusion_group`
    region ops. What may fuse is the ops' `FusibleOpInterface`: chains of
    elementwise ops (kind `elementwise`), a reduction or softmax with the
    elementwise ops around it (`reduction_epilogue`), a matmul or
    convolution with its elementwise epilogue such as bias, activation or a
    residual add, or an activation-gradient mask in the backward pass
    (`contraction_epilogue`), and, in a training step, the elementwise
    update of every parameter and its optimizer state in one group
    (`optimizer`).

    Groups grow greedily along def-use edges in program order. A producer
    joins its consumer's group when the merged group has at most one anchor
    (reduction or contraction), at most `max-group-size` ops, and no path
    leaves it and comes back (which would make the group depend on itself).
    A producer with users outside the group stays computed once and becomes
    a group result. The cost model counts bytes moved: each fused edge saves
    the read of the intermediate tensor, and its write when no user is left
    outside. Afterwards a cheap producer read by another group is
    recomputed inside that group when the FLOPs it duplicates are at most
    `recompute-flops-per-byte` times the bytes this saves. Splat constants
    are cloned into the groups that use them.

    A remark on the function reports groups formed (per kind), ops fused,
    bytes saved and FLOPs duplicated.
  }];
  let options = [
    ListOption<"kinds", "kinds", "std::string",
               "Group kinds to form: elementwise, reduction_epilogue, "
               "contraction_epilogue, optimizer (default: all)">,
    Option<"maxGroupSize", "max-group-size", "int64_t", "64",
           "Most kiln ops in one group (the optimizer group is exempt)">,
    Option<"recomputeFlopsPerByte", "recompute-flops-per-byte", "double",
           "0.125",
           "Recompute a producer in another group when the FLOPs duplicated "
           "are at most this many per byte of memory traffic saved "
           "(negative: never recompute)">,
  ];
  let statistics = [
    Statistic<"numGroups", "groups", "Fusion groups formed">,
    Statistic<"numFusedOps", "fused-ops", "kiln ops inside fusion groups">,
    Statistic<"numBytesSaved", "bytes-saved",
              "Bytes of memory traffic saved (estimated)">,
    Statistic<"numFlopsDuplicated", "flops-duplicated",
              "FLOPs added by recomputation">,
  ];
}

def KilnSchedule : Pass<"kiln-schedule", "mlir::func::FuncOp"> {
  let summary = "Orders ops to lower the peak of live tensors";
  let description = [{
    Memory-aware list scheduling at tensor level. In every block of the
    function, the side-effect-free ops between two ops with side effects
    are put in a new topological order that greedily runs, among the ready
    ops, the one that frees the most bytes net of what it allocates (its
    operands whose last reader it is, minus its results); ties go to the
    earlier op in the current order. Ops with side effects stay where they
    are. Results never change: only the order does, and only when the new
    order's peak is lower.

    The memory model (kiln/Analysis/RematGraph.h): every op allocates its
    result tensors, which stay live until their last use (returned values
    to the end); function arguments are not counted; constants and views
    (reshape, slice, stop_gradient) allocate nothing and a use of a view is
    a use of the value it views. A remark reports the peak before and after.
  }];
  let statistics = [
    Statistic<"numBlocksReordered", "blocks-reordered",
              "Blocks whose order changed">,
    Statistic<"numPeakBefore", "peak-bytes-before",
              "Tensor-level peak before, summed over functions">,
    Statistic<"numPeakAfter", "peak-bytes-after",
              "Tensor-level peak after, summed over functions">,
  ];
}

def KilnRemat : Pass<"kiln-remat", "mlir::func::FuncOp"> {
  let summary = "Recomputes values to fit a function's peak memory in a budget";
  let description = [{
    Rematerialization of a training step (or any function whose body is one
    block of side-effect-free ops on static tensors). The body becomes a
    graph of kiln/Solvers/Remat.h: one node per op with its result bytes
    and its FLOPs from `CostOpInterface`, edges from def-use (through
    views), returned values kept to the end, function arguments persistent.
    The budget is `budget-bytes`, or `budget-fraction` times the current
    peak. With `measure-arena` (the default) and the CPU code generation
    linked into the tool (kiln-opt, kiln-run), the peak is the arena that
    code generation plans for the function (`kiln-plan-memory`, what
    `kiln-run --report memory` prints as `peak_bytes`), measured by lowering
    a copy with `kiln-cpu-lower-to-memory-plan`; the tensor-level model
    does not see what code generation adds or removes (fused
    intermediates, copies, buffers shared in place). The pass then solves
    for the budget (scaled by the model's peak over the arena), rebuilds a
    copy and measures its arena; above the budget it lowers the model's
    budget by the excess, below it with room to spare it raises it by the
    room (a larger budget recomputes less), and once a fitting and a
    missing budget are known it bisects (at most `rounds` solves). The
    fitting schedule with the fewest added FLOPs wins; if none fits, the
    pass keeps the least arena found and warns. Without the CPU code generation, or with
    `measure-arena=false`, budgets are in the model's tensor bytes. With `measure-scratch` (the default) each
    op's working set also counts the buffers that its lowering allocates
    for itself (e.g. the padded input of a convolution), measured once per
    op signature by lowering the op alone with `convert-kiln-to-linalg` and
    one-shot bufferization, so that the model's peak tracks the planned
    arena after bufferization. The solver (`method`, `time-limit`) finds the
    cheapest schedule of computes and frees within the budget; the body is
    rebuilt in that order, each recomputation a copy of the op marked
    `kiln.recomputed = N` (its N-th recomputation) that the later uses read.
    Outputs are bitwise identical: copies compute the same values from the
    same inputs.

    A remark reports the planned arena and the tensor-level peak before
    and after, the rounds, the bytes saved and the FLOPs added. A budget that no schedule meets (below the largest op with
    its inputs) is an error that says so.
  }];
  let dependentDialects = [
    // What measuring the scratch of an op's lowering loads.
    "mlir::arith::ArithDialect", "mlir::bufferization::BufferizationDialect",
    "mlir::linalg::LinalgDialect", "mlir::math::MathDialect",
    "mlir::memref::MemRefDialect", "mlir::scf::SCFDialect",
    "mlir::tensor::TensorDialect",
    // ... and what measuring the planned arena loads besides.
    "mlir::affine::AffineDialect", "mlir::vector::VectorDialect",
  ];
  let options = [
    Option<"budgetFraction", "budget-fraction", "double", "0.0",
           "Budget as a fraction of the current peak: the planned arena "
           "when it is measured, the tensor-level peak otherwise (0: use "
           "budget-bytes)">,
    Option<"budgetBytes", "budget-bytes", "int64_t", "0",
           "Budget in bytes: of the planned arena when it is measured, of "
           "live tensors otherwise (0: use budget-fraction)">,
    Option<"measureArena", "measure-arena", "bool", "true",
           "Budget the arena that the CPU code generation plans (when the "
           "tool links it), checked by lowering copies of the function">,
    Option<"rounds", "rounds", "int64_t", "6",
           "With measure-arena: at most this many solves, each checked "
           "against the measured arena of a rebuilt copy">,
    Option<"method", "method", "std::string", "\"auto\"",
           "Solver: auto, chain (chains only), exact (MILP with a time "
           "limit) or heuristic">,
    Option<"timeLimit", "time-limit", "double", "2.0",
           "Wall-clock seconds the solver may take when search-steps is 0">,
    Option<"searchSteps", "search-steps", "uint64_t", "10000",
           "Stop the solver's search after this many steps (times "
           "1000/nodes, at most 8, on graphs under 1000 nodes) instead of "
           "at the time limit, so the same program always compiles to the "
           "same schedule (0: use the wall-clock time-limit)">,
    Option<"graphOut", "graph-out", "std::string", "\"\"",
           "Write the solver's graph (networkx node-link JSON, as "
           "kiln-remat-solve reads it) to this file">,
    Option<"measureScratch", "measure-scratch", "bool", "true",
           "Count the buffers that each op's lowering allocates for itself "
           "(measured by lowering and bufferizing the op alone)">,
  ];
  let statistics = [
    Statistic<"numRecomputed", "recomputed-ops", "Recomputed op copies">,
    Statistic<"numBytesSaved", "bytes-saved",
              "Tensor-level peak bytes saved">,
    Statistic<"numFlopsAdded", "flops-added", "FLOPs added by recomputation">,
    Statistic<"numPeakBefore", "peak-bytes-before", "Tensor-level peak before">,
    Statistic<"numPeakAfter", "peak-bytes-after", "Tensor-level peak after">,
  ];
}

#endif // KILN_PASSES_TD
