//===- Remat.cpp - Rematerialization under a memory budget ----------------===//
//
// Part of the Kiln project: an MLIR compiler for training programs.
//
//===----------------------------------------------------------------------===//
//
// The kiln-remat pass: the function body as a kiln::solvers::RematGraph
// (kiln/Analysis/RematGraph.h), a budget from the options, solveRemat, and
// the body rebuilt in the solver's order with copies of the recomputed ops.
//
//===----------------------------------------------------------------------===//

#include "kiln/Passes/Passes.h"

#include "kiln/Analysis/RematGraph.h"
#include "kiln/Solvers/Remat.h"

#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Bufferization/Transforms/Passes.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/Interfaces/ViewLikeInterface.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassRegistry.h"
#include "mlir/Transforms/Passes.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/Support/JSON.h"

#include <algorithm>
#include <cmath>
#include <tuple>

namespace kiln {
#define GEN_PASS_DEF_KILNREMAT
#include "kiln/Dialect/Kiln/Passes.h.inc"
} // namespace kiln

using namespace mlir;
namespace solvers = kiln::solvers;

namespace {

std::optional<solvers::RematMethod> parseMethod(StringRef name) {
  for (solvers::RematMethod m :
       {solvers::RematMethod::Auto, solvers::RematMethod::Chain,
        solvers::RematMethod::Exact, solvers::RematMethod::Heuristic})
    if (name == solvers::methodName(m))
      return m;
  return std::nullopt;
}

/// Writes the solver's input as networkx node-link JSON with Checkmate's
/// field names, so kiln-remat-solve (and check_schedule.py) can study it
/// offline; results the program returns carry "keep_at_end", and "op" names
/// each node's op ("scratch" for a lowering's own buffers).
LogicalResult writeGraph(func::FuncOp func, const kiln::FunctionRematGraph &rg,
                         StringRef path) {
  const solvers::RematGraph &graph = rg.graph;
  std::error_code ec;
  llvm::raw_fd_ostream os(path, ec);
  if (ec)
    return func.emitError() << "kiln-remat: cannot write graph-out file '"
                            << path << "': " << ec.message();
  std::vector<char> keep(graph.size(), 0);
  for (int v : graph.keepAtEnd)
    keep[v] = 1;
  llvm::json::OStream j(os);
  j.object([&] {
    j.attribute("directed", true);
    j.attributeArray("nodes", [&] {
      for (int v = 0; v < graph.size(); ++v)
        j.object([&] {
          j.attribute("id", v);
          j.attribute("cost_cpu", graph.cost[v]);
          j.attribute("cost_ram", graph.bytes[v]);
          // What the node is, for a reader: the op's name, or "scratch".
          Operation *op = rg.nodeOps[v];
          j.attribute("op", op ? op->getName().getStringRef() : "scratch");
          if (keep[v])
            j.attribute("keep_at_end", true);
        });
    });
    j.attributeArray("links", [&] {
      for (int v = 0; v < graph.size(); ++v)
        for (int p : graph.preds[v])
          j.object([&] {
            j.attribute("source", p);
            j.attribute("target", v);
          });
    });
  });
  os << "\n";
  return success();
}

/// The buffers that an op's lowering allocates besides its results: the op
/// alone in a function, lowered by convert-kiln-to-linalg and the CPU
/// pipeline's GEMM rewrites (looked up in the pass registry, so KilnPasses
/// links neither) and
/// bufferized as the CPU pipeline does, results as out-params; the static
/// allocations left are its scratch. Cached per op signature.
class ScratchMeter {
public:
  explicit ScratchMeter(MLIRContext *context) : context(context) {}

  /// False when the lowering is not registered in this tool.
  bool available() const {
    return PassInfo::lookup("convert-kiln-to-linalg") != nullptr;
  }

  uint64_t operator()(Operation *op) {
    std::string key;
    llvm::raw_string_ostream os(key);
    os << op->getName() << op->getRawDictionaryAttrs() << op->getPropertiesAsAttribute();
    for (Type type : op->getOperandTypes())
      os << type;
    os << "->";
    for (Type type : op->getResultTypes())
      os << type;
    auto [it, inserted] = cache.try_emplace(key, 0);
    if (inserted)
      it->second = measure(op);
    return it->second;
  }

private:
  uint64_t measure(Operation *op) {
    Location loc = op->getLoc();
    OwningOpRef<ModuleOp> module = ModuleOp::create(loc);
    OpBuilder builder(context);
    builder.setInsertionPointToEnd(module->getBody());
    auto func = func::FuncOp::create(
        builder, loc, "scratch",
        builder.getFunctionType(op->getOperandTypes(), op->getResultTypes()));
    Block *entry = func.addEntryBlock();
    builder.setInsertionPointToEnd(entry);
    IRMapping mapping;
    mapping.map(op->getOperands(), entry->getArguments());
    Operation *copy = builder.clone(*op, mapping);
    func::ReturnOp::create(builder, loc, copy->getResults());

    PassManager pm(context, ModuleOp::getOperationName());
    const PassInfo *lowering = PassInfo::lookup("convert-kiln-to-linalg");
    if (!lowering ||
        failed(lowering->addToPipeline(pm, "", [](const Twine &) {
          return failure();
        })))
      return 0;
    pm.addPass(createCanonicalizerPass());
    // The CPU code generation's own buffers: im2col matrices, packed GEMM
    // operands (registered by the tools that link the CPU pipeline).
    for (StringRef codegen : {"kiln-cpu-conv-to-gemm", "kiln-cpu-matmul-kernels"})
      if (const PassInfo *info = PassInfo::lookup(codegen))
        (void)info->addToPipeline(pm.nest<func::FuncOp>(), "",
                                  [](const Twine &) { return failure(); });
    bufferization::OneShotBufferizePassOptions bufferize;
    bufferize.bufferizeFunctionBoundaries = true;
    bufferize.functionBoundaryTypeConversion =
        bufferization::LayoutMapOption::IdentityLayoutMap;
    pm.addPass(bufferization::createOneShotBufferizePass(bufferize));
    bufferization::BufferResultsToOutParamsPassOptions outParams;
    outParams.modifyPublicFunctions = true;
    outParams.hoistStaticAllocs = true;
    pm.addPass(bufferization::createBufferResultsToOutParamsPass(outParams));
    // A failure here only loses the estimate; keep its diagnostics out of
    // the user's way.
    ScopedDiagnosticHandler quiet(context, [](Diagnostic &) {
      return success();
    });
    if (failed(pm.run(*module)))
      return 0;
    // A result computed into a buffer of its own and copied into the
    // out-param through a view (max_pool2d_backward writes a 6-d window
    // view and collapses it) is the result's buffer in the real program,
    // not scratch.
    llvm::DenseSet<Operation *> resultBuffers;
    module->walk([&](memref::CopyOp copy) {
      if (!isa<BlockArgument>(copy.getTarget()))
        return;
      Value source = copy.getSource();
      while (Operation *def = source.getDefiningOp()) {
        if (isa<memref::AllocOp>(def)) {
          resultBuffers.insert(def);
          break;
        }
        if (!isa<ViewLikeOpInterface>(def))
          break;
        source = def->getOperand(0);
      }
    });
    uint64_t bytes = 0;
    module->walk([&](memref::AllocOp alloc) {
      if (resultBuffers.contains(alloc))
        return;
      MemRefType type = alloc.getType();
      if (type.hasStaticShape() && type.getElementType().isIntOrFloat())
        bytes += type.getNumElements() *
                 ((type.getElementType().getIntOrFloatBitWidth() + 7) / 8);
    });
    return bytes;
  }

  MLIRContext *context;
  llvm::StringMap<uint64_t> cache;
};

/// Measures the arena that the CPU code generation plans for a function: a
/// copy of it alone in a module, lowered with convert-kiln-to-linalg and
/// the pipeline kiln-cpu-lower-to-memory-plan (registered by the tools that
/// link the CPU code generation), whose kiln-plan-memory records the arena
/// on the function. The tensor-level model of the remat graph does not see
/// what code generation adds or removes (fused intermediates, copies,
/// buffers shared in place), so budgets are checked against this.
class ArenaMeter {
public:
  explicit ArenaMeter(MLIRContext *context) : context(context) {}

  bool available() const {
    return PassInfo::lookup("convert-kiln-to-linalg") &&
           PassPipelineInfo::lookup("kiln-cpu-lower-to-memory-plan");
  }

  /// The planned arena plus the static buffers left outside it, in bytes;
  /// nothing when the copy does not lower (e.g. it calls other functions).
  std::optional<uint64_t> operator()(func::FuncOp func) {
    OwningOpRef<ModuleOp> module = ModuleOp::create(func.getLoc());
    auto copy = cast<func::FuncOp>(func->clone());
    module->getBody()->push_back(copy);
    PassManager pm(context, ModuleOp::getOperationName());
    auto noError = [](const Twine &) { return failure(); };
    if (failed(PassInfo::lookup("convert-kiln-to-linalg")
                   ->addToPipeline(pm, "", noError)) ||
        failed(PassPipelineInfo::lookup("kiln-cpu-lower-to-memory-plan")
                   ->addToPipeline(pm, "", noError)))
      return std::nullopt;
    ScopedDiagnosticHandler quiet(context, [](Diagnostic &) {
      return success();
    });
    if (failed(pm.run(*module)))
      return std::nullopt;
    auto arena = copy->getAttrOfType<IntegerAttr>("kiln.arena_bytes");
    auto unplanned = copy->getAttrOfType<IntegerAttr>("kiln.unplanned_bytes");
    if (!arena)
      return std::nullopt;
    return arena.getInt() + (unplanned ? unplanned.getInt() : 0);
  }

private:
  MLIRContext *context;
};

struct KilnRematPass : public kiln::impl::KilnRematBase<KilnRematPass> {
  using Base::Base;

  void runOnOperation() override {
    func::FuncOp func = getOperation();
    if (func.isExternal())
      return;
    std::optional<solvers::RematMethod> solverMethod = parseMethod(method);
    if (!solverMethod) {
      func.emitError() << "kiln-remat: unknown method '" << method
                       << "' (auto, chain, exact or heuristic)";
      return signalPassFailure();
    }
    if ((budgetFraction > 0) == (budgetBytes > 0)) {
      func.emitError() << "kiln-remat: give one of budget-fraction (> 0) or "
                          "budget-bytes (> 0)";
      return signalPassFailure();
    }

    ScratchMeter meter(&getContext());
    kiln::ScratchBytesFn scratch;
    if (measureScratch && meter.available())
      scratch = [&](Operation *op) { return meter(op); };
    FailureOr<kiln::FunctionRematGraph> rg =
        kiln::buildRematGraph(func, scratch);
    if (failed(rg))
      return signalPassFailure();
    if (std::string bad = solvers::validateGraph(rg->graph); !bad.empty()) {
      func.emitError() << "kiln-remat: internal error: bad graph: " << bad;
      return signalPassFailure();
    }
    if (!graphOut.empty() && failed(writeGraph(func, *rg, graphOut)))
      return signalPassFailure();
    // The nodes are in program order, so the baseline is the current order.
    uint64_t before = solvers::baselineSchedule(rg->graph).peak;
    numPeakBefore += before;
    if (before == 0) { // Nothing transient (e.g. an init function).
      markAllAnalysesPreserved();
      return;
    }
    // With the CPU code generation at hand the budget is in planned arena
    // bytes; otherwise in the model's tensor bytes.
    ArenaMeter arenaMeter(&getContext());
    std::optional<uint64_t> arenaBefore;
    if (measureArena && arenaMeter.available())
      arenaBefore = arenaMeter(func);
    uint64_t current = arenaBefore.value_or(before);
    uint64_t budget =
        budgetBytes > 0
            ? static_cast<uint64_t>(budgetBytes)
            : static_cast<uint64_t>(std::floor(budgetFraction * current));
    StringRef unit = arenaBefore ? "planned arena" : "tensor peak";
    if (current <= budget) {
      numPeakAfter += before;
      emitRemark(func.getLoc()) << "kiln-remat: " << unit << " " << current
                                << " bytes is within the budget of " << budget
                                << " bytes; nothing to do";
      markAllAnalysesPreserved();
      return;
    }

    solvers::RematOptions options;
    options.method = *solverMethod;
    options.timeLimitSeconds = timeLimit;
    // A small graph's simulation is cheap: give it more of them (up to 8x
    // the work below 1000 nodes), still a pure function of the graph.
    double scale = std::clamp(1000.0 / std::max(1, rg->graph.size()), 1.0, 8.0);
    options.searchSteps = static_cast<uint64_t>(searchSteps * scale);

    // Solve for the budget, first scaled by the model's peak over the
    // arena (the model counts intermediates that fusion removes). With a
    // measured arena, each round rebuilds a copy and measures it: above the
    // budget, the model's budget drops by the excess; below it with room to
    // spare, it rises by the room (a larger budget recomputes less); once
    // both a fitting and a missing budget are known, it bisects. The
    // cheapest schedule that fits wins; if none fits, the least arena.
    uint64_t modelBudget =
        arenaBefore ? static_cast<uint64_t>(std::floor(
                          static_cast<double>(budget) * before / *arenaBefore))
                    : budget;
    uint64_t baseCost = solvers::baselineSchedule(rg->graph).cost;
    uint64_t lowest = solvers::peakLowerBound(rg->graph);
    std::optional<solvers::RematResult> chosen;
    std::optional<uint64_t> chosenArena;
    uint64_t chosenBudget = modelBudget, chosenFlops = 0;
    std::optional<uint64_t> fits, misses; // Model budgets known to do so.
    int round = 0;
    while (round < std::max<int64_t>(1, rounds)) {
      ++round;
      solvers::RematResult result =
          solvers::solveRemat(rg->graph, modelBudget, options);
      if (!result.schedule) {
        if (chosen)
          break; // Keep the best found so far.
        InFlightDiagnostic diag = func.emitError();
        diag << "kiln-remat: cannot fit the tensor peak of " << before
             << " bytes into the budget of " << modelBudget
             << " bytes: " << result.reason;
        // A pebbling proof names its own (larger) bound; otherwise give the
        // simple one, so the user knows how far a budget can go.
        if (result.reason.find("pebbling") == std::string::npos)
          diag << " (the lower bound is " << lowest
               << " bytes: the largest op with its inputs)";
        return signalPassFailure();
      }
      std::optional<uint64_t> arena;
      uint64_t flops = 0;
      if (arenaBefore) {
        if (auto measured = measureRebuilt(func, scratch, *result.schedule,
                                           arenaMeter))
          std::tie(arena, flops) = *measured;
      }
      bool fit = arena && *arena <= budget;
      bool chosenFits = chosenArena && *chosenArena <= budget;
      // Among fitting schedules the fewest added FLOPs (what the remark
      // reports; the solver's cost also counts writes), else the least
      // arena.
      bool better = !chosen || !arena ||
                    (fit ? !chosenFits || flops < chosenFlops
                         : !chosenFits && *arena < *chosenArena);
      uint64_t cost = result.schedule->cost;
      if (better) {
        chosen = std::move(result);
        chosenArena = arena;
        chosenBudget = modelBudget;
        chosenFlops = flops;
      }
      if (!arena)
        break; // Nothing to check against: the model's answer stands.
      uint64_t next;
      if (fit) {
        fits = std::max(fits.value_or(0), modelBudget);
        // Little to gain: under 1% recomputed, or under 0.25% of room.
        if (flops < rg->totalFlops / 100 || cost < baseCost + baseCost / 100 ||
            budget - *arena < budget / 400)
          break;
        next = misses ? *fits + (*misses - *fits) / 2
                      : modelBudget + (budget - *arena);
      } else {
        misses = std::min(misses.value_or(UINT64_MAX), modelBudget);
        uint64_t excess = *arena - budget;
        if (fits)
          next = *fits + (*misses - *fits) / 2;
        else if (modelBudget > lowest + excess)
          next = modelBudget - excess;
        else // Halfway to the bound instead of below it.
          next = lowest + (modelBudget - lowest) / 2;
      }
      // Stop when the next budget is one already tried or no real step.
      if ((fits && next <= *fits) || (misses && next >= *misses) ||
          (next > modelBudget ? next - modelBudget : modelBudget - next) <
              budget / 4000)
        break;
      modelBudget = next;
    }

    uint64_t after = chosen->schedule->peak;
    FailureOr<kiln::RebuildResult> rebuilt =
        kiln::rebuildFromSchedule(func, *rg, *chosen->schedule);
    if (failed(rebuilt))
      return signalPassFailure();
    if (chosenArena && *chosenArena > budget)
      func.emitWarning() << "kiln-remat: the planned arena is " << *chosenArena
                         << " bytes, above the budget of " << budget
                         << " bytes, after " << round
                         << " rounds of solving for less (the least found; "
                            "`rounds` allows more)";
    solvers::RematResult &result = *chosen;
    numPeakAfter += after;
    numBytesSaved += before - after;
    numRecomputed += rebuilt->numClones;
    numFlopsAdded += rebuilt->flopsAdded;
    // Tenths of a percent, printed as "12.3%".
    uint64_t permille =
        rg->totalFlops ? (1000 * rebuilt->flopsAdded + rg->totalFlops / 2) /
                             rg->totalFlops
                       : 0;
    InFlightDiagnostic remark = emitRemark(func.getLoc());
    if (chosenArena)
      remark << "kiln-remat: planned arena " << *arenaBefore << " -> "
             << *chosenArena << " bytes (budget " << budget << ", " << round
             << (round == 1 ? " round" : " rounds") << "), ";
    else
      remark << "kiln-remat: ";
    remark << "tensor peak " << before << " -> " << after
           << " bytes (budget " << chosenBudget << ", saved "
           << (before - after) << "), " << rebuilt->numClones
                      << " ops recomputed, " << rebuilt->flopsAdded
                      << " FLOPs added (" << permille / 10 << "."
                      << permille % 10 << "% of "
                      << rg->totalFlops << "), method "
                      << solvers::methodName(result.methodUsed)
                      << (result.provenOptimal ? " (optimal)" : "");
  }

  /// The planned arena of `func` rebuilt in `schedule`'s order, measured on
  /// a copy (the graph is rebuilt on the copy, with the same scratch
  /// nodes: the same program gives the same graph).
  /// Also gives the FLOPs that the rebuild adds.
  std::optional<std::pair<uint64_t, uint64_t>>
  measureRebuilt(func::FuncOp func, const kiln::ScratchBytesFn &scratch,
                 const solvers::RematSchedule &schedule, ArenaMeter &meter) {
    OwningOpRef<func::FuncOp> copy = cast<func::FuncOp>(func->clone());
    FailureOr<kiln::FunctionRematGraph> rg =
        kiln::buildRematGraph(*copy, scratch);
    if (failed(rg))
      return std::nullopt;
    FailureOr<kiln::RebuildResult> rebuilt =
        kiln::rebuildFromSchedule(*copy, *rg, schedule);
    if (failed(rebuilt))
      return std::nullopt;
    std::optional<uint64_t> arena = meter(*copy);
    if (!arena)
      return std::nullopt;
    return std::make_pair(*arena, rebuilt->flopsAdded);
  }
};

} // namespace
