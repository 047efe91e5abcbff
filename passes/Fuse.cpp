//===- Fuse.cpp - Form fusion groups by a bytes-moved cost model ----------===//
//
// Part of the Kiln project: an MLIR compiler for training programs.
//
//===----------------------------------------------------------------------===//
//
// The kiln-fuse pass. It decides which kiln ops run as one kernel and
// records the decision in the IR as kiln.fusion_group region ops; the
// lowering (lib/Conversion/KilnToLinalg/FusionGroups.cpp) turns each group
// into fused loops. What may fuse with what is each op's FusibleOpInterface;
// this file only grows groups and counts what they save.
//
// Clustering works on one block at a time, before any IR is changed:
//   1. Every fusible op with static shapes starts as its own cluster.
//   2. In program order, each op tries to merge the cluster of each operand's
//      producer into its own (greedy along def-use edges). A merge is legal
//      when the result has at most one anchor (reduction or contraction),
//      no anchor that fuses no producers gets one of its operands from
//      inside, at most max-group-size ops, and the cluster graph stays
//      acyclic (no path leaves the merged cluster and re-enters it). Every
//      legal merge along an edge saves at least the read of the
//      intermediate tensor, so the bytes-moved model accepts it; nothing is
//      computed twice: a producer with users outside becomes a result.
//   3. In a training step the elementwise ops that compute the updated
//      parameters and optimizer state form their own clusters (never merged
//      with a gradient's matmul), which are then merged into one optimizer
//      group.
//   4. Recomputation: an elementwise producer read by another cluster is
//      cloned into it when the bytes this saves (the intermediate's reads,
//      less the producer's own inputs read again) are positive and the
//      FLOPs duplicated are at most recompute-flops-per-byte per byte saved.
//      (Broadcasts, which cost no FLOPs and write a large tensor from a
//      small one, are the typical case.) Cloning a producer only adds edges
//      that an existing path already implied, so it cannot create a cycle.
// Then each cluster of two or more ops becomes a kiln.fusion_group at the
// position of its last op, splat constants are cloned inside, and the block
// is re-sorted topologically (a group's results may have users that sat
// between its first and last op).
//
// Savings are measured with the ops' CostOpInterface: bytes moved by the
// function's top-level ops before and after (a group moves its inputs and
// results only), FLOPs of all ops before and after.
//
//===----------------------------------------------------------------------===//

#include "kiln/Passes/Passes.h"

#include "kiln/Dialect/Kiln/KilnOps.h"
#include "kiln/Training/TrainStep.h"
#include "mlir/Analysis/TopologicalSortUtils.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/IRMapping.h"
#include "llvm/ADT/DenseSet.h"
#include "llvm/ADT/SetVector.h"
#include "llvm/ADT/StringSet.h"
#include "llvm/ADT/StringSwitch.h"

#include <algorithm>

#include <map>

namespace kiln {
#define GEN_PASS_DEF_KILNFUSE
#include "kiln/Dialect/Kiln/Passes.h.inc"
} // namespace kiln

using namespace mlir;
using namespace kiln;

namespace {

/// Bytes of a static ranked tensor type, or nullopt.
std::optional<int64_t> bytesOf(Type type) {
  auto tensor = dyn_cast<RankedTensorType>(type);
  if (!tensor || !tensor.hasStaticShape())
    return std::nullopt;
  return tensor.getNumElements() *
         ((tensor.getElementTypeBitWidth() + 7) / 8);
}

/// Whether every operand and result of `op` is a static ranked tensor: the
/// cost model needs sizes, and the lowering handles static shapes only.
bool hasStaticTensors(Operation *op) {
  auto ok = [](Type t) { return bytesOf(t).has_value(); };
  return llvm::all_of(op->getOperandTypes(), ok) &&
         llvm::all_of(op->getResultTypes(), ok);
}

/// A splat kiln.constant: cloned into every group that reads it rather than
/// passed in (it is free to rematerialize and lets the lowering fold it into
/// the loop body as a scalar).
bool isSplatConstant(Operation *op) {
  auto constant = dyn_cast_or_null<ConstantOp>(op);
  if (!constant)
    return false;
  auto dense = dyn_cast<DenseElementsAttr>(constant.getValue());
  return dense && dense.isSplat();
}

struct Cluster {
  llvm::SmallVector<Operation *> ops;
  /// The reduction or contraction of the cluster, if any.
  Operation *anchor = nullptr;
  /// Part of the optimizer update of a training step.
  bool optimizer = false;
  /// Elementwise producers of other clusters cloned into this one.
  llvm::SmallVector<Operation *> recomputed;
};

/// Options of the pass, resolved.
struct FuseConfig {
  bool elementwise = true, reduction = true, contraction = true,
       optimizer = true;
  int64_t maxGroupSize = 64;
  double recomputeFlopsPerByte = 0.125;
};

class BlockClustering {
public:
  BlockClustering(Block &block, const FuseConfig &config,
                  const llvm::DenseSet<Operation *> &optimizerOps)
      : block(block), config(config), optimizerOps(optimizerOps) {}

  /// Forms the clusters (steps 1-4 of the file comment).
  void run();

  /// The clusters worth a group (two or more ops), in block order of their
  /// first op.
  llvm::SmallVector<Cluster *> groups();

  /// Clones each recomputed producer next to the original, makes the
  /// clone a member of the cluster that recomputes it and redirects that
  /// cluster's uses to it; erases originals left without users.
  void applyRecompute();

  unsigned idOf(Operation *op) const {
    auto it = clusterOf.find(op);
    return it == clusterOf.end() ? ~0u : it->second;
  }

private:
  bool isCandidate(Operation *op) const { return clusterOf.count(op); }
  bool roleIs(Operation *op, FusionRole role) const {
    return cast<FusibleOpInterface>(op).getFusionRole() == role;
  }
  /// The block-level op that uses a value (users in nested regions count as
  /// their ancestor in this block).
  Operation *blockUser(Operation *user) const {
    return block.findAncestorOpInBlock(*user);
  }
  bool canMerge(unsigned a, unsigned b) const;
  bool createsCycle(unsigned a, unsigned b) const;
  void merge(unsigned into, unsigned from);
  void recompute();

  Block &block;
  const FuseConfig &config;
  const llvm::DenseSet<Operation *> &optimizerOps;
  llvm::DenseMap<Operation *, unsigned> position;
  llvm::DenseMap<Operation *, unsigned> clusterOf;
  std::vector<Cluster> clusters;
};

void BlockClustering::run() {
  unsigned index = 0;
  for (Operation &op : block) {
    position[&op] = index++;
    auto fusible = dyn_cast<FusibleOpInterface>(&op);
    if (!fusible || !hasStaticTensors(&op) || op.getNumResults() != 1)
      continue;
    FusionRole role = fusible.getFusionRole();
    if ((role == FusionRole::Reduction && !config.reduction) ||
        (role == FusionRole::Contraction && !config.contraction))
      continue;
    if (role == FusionRole::Elementwise && !config.elementwise &&
        !config.reduction && !config.contraction &&
        !(config.optimizer && optimizerOps.contains(&op)))
      continue;
    clusterOf[&op] = clusters.size();
    Cluster cluster;
    cluster.ops.push_back(&op);
    if (role != FusionRole::Elementwise)
      cluster.anchor = &op;
    cluster.optimizer = optimizerOps.contains(&op);
    clusters.push_back(std::move(cluster));
  }

  // Greedy merging along def-use edges, consumers in program order. An
  // op that directly consumes an anchor joins that anchor's group first (an
  // epilogue belongs to the op it finishes: a backward pass's activation
  // mask goes to the matmul computing the gradient it masks, not to the
  // forward group that computed the mask).
  for (Operation &op : block) {
    if (!isCandidate(&op))
      continue;
    llvm::SmallVector<Operation *, 4> producers;
    for (Value operand : op.getOperands()) {
      Operation *producer = operand.getDefiningOp();
      if (producer && producer->getBlock() == &block &&
          isCandidate(producer))
        producers.push_back(producer);
    }
    std::stable_partition(producers.begin(), producers.end(), [&](Operation *producer) {
      return !roleIs(producer, FusionRole::Elementwise);
    });
    for (Operation *producer : producers) {
      unsigned a = idOf(producer), b = idOf(&op);
      if (a != b && canMerge(a, b))
        merge(b, a);
    }
  }

  // One optimizer group: the update of every parameter.
  if (config.optimizer) {
    std::optional<unsigned> first;
    for (Operation &op : block) {
      if (!isCandidate(&op) || !clusters[idOf(&op)].optimizer)
        continue;
      unsigned id = idOf(&op);
      if (!first) {
        first = id;
        continue;
      }
      if (id != *first && !createsCycle(*first, id))
        merge(*first, id);
    }
  }

  if (config.recomputeFlopsPerByte >= 0)
    recompute();
}

bool BlockClustering::canMerge(unsigned a, unsigned b) const {
  const Cluster &ca = clusters[a], &cb = clusters[b];
  // The optimizer update stays apart from the backward pass: its group is
  // formed from optimizer ops only.
  if (ca.optimizer != cb.optimizer)
    return false;
  if (ca.anchor && cb.anchor)
    return false;
  if (!ca.optimizer &&
      (int64_t)(ca.ops.size() + cb.ops.size()) > config.maxGroupSize)
    return false;
  Operation *anchor = ca.anchor ? ca.anchor : cb.anchor;
  if (!anchor && !config.elementwise && !ca.optimizer)
    return false;
  // An anchor that takes no prologue must not read a value computed in the
  // merged cluster; an anchor that takes no epilogue must not be read.
  if (anchor) {
    auto fusible = cast<FusibleOpInterface>(anchor);
    unsigned anchorId = idOf(anchor), other = anchorId == a ? b : a;
    if (!fusible.fusesProducers())
      for (Value operand : anchor->getOperands())
        if (Operation *def = operand.getDefiningOp())
          if (idOf(def) == other)
            return false;
    if (!fusible.fusesConsumers())
      for (Operation *user : anchor->getUsers())
        if (idOf(blockUser(user)) == other)
          return false;
  }
  return !createsCycle(a, b);
}

/// Whether some path leaves clusters a and b (together) and comes back.
/// Ops of other clusters count as one node with their cluster, since each
/// cluster becomes one op. Only ops before the last member can lead back.
bool BlockClustering::createsCycle(unsigned a, unsigned b) const {
  unsigned last = 0;
  for (unsigned id : {a, b})
    for (Operation *op : clusters[id].ops)
      last = std::max(last, position.lookup(op));

  llvm::SmallVector<Operation *> worklist;
  llvm::DenseSet<Operation *> visited;
  llvm::DenseSet<unsigned> visitedClusters;
  auto pushUsersOf = [&](Operation *op, bool fromMerged) {
    for (Operation *rawUser : op->getUsers()) {
      Operation *user = blockUser(rawUser);
      if (!user)
        continue;
      unsigned id = idOf(user);
      if (fromMerged && (id == a || id == b))
        continue;
      // An unclustered op after the merged ops' last one cannot lead back
      // (def-use edges go forward in the block). A clustered one can, through
      // a member of its cluster that comes earlier.
      if (id == ~0u && position.lookup(user) > last)
        continue;
      worklist.push_back(user);
    }
  };
  for (unsigned id : {a, b})
    for (Operation *op : clusters[id].ops)
      pushUsersOf(op, /*fromMerged=*/true);
  while (!worklist.empty()) {
    Operation *op = worklist.pop_back_val();
    unsigned id = idOf(op);
    if (id == a || id == b)
      return true;
    if (!visited.insert(op).second)
      continue;
    if (id != ~0u) {
      // The whole cluster is one node: continue from all its ops.
      if (!visitedClusters.insert(id).second)
        continue;
      for (Operation *member : clusters[id].ops)
        pushUsersOf(member, /*fromMerged=*/false);
    } else {
      pushUsersOf(op, /*fromMerged=*/false);
    }
  }
  return false;
}

void BlockClustering::merge(unsigned into, unsigned from) {
  Cluster &dst = clusters[into], &src = clusters[from];
  for (Operation *op : src.ops) {
    clusterOf[op] = into;
    dst.ops.push_back(op);
  }
  if (!dst.anchor)
    dst.anchor = src.anchor;
  dst.optimizer |= src.optimizer;
  src.ops.clear();
  src.anchor = nullptr;
}

void BlockClustering::recompute() {
  for (Operation &op : block) {
    if (!isCandidate(&op) || !roleIs(&op, FusionRole::Elementwise))
      continue;
    std::optional<int64_t> outBytes = bytesOf(op.getResult(0).getType());
    std::optional<int64_t> flops = cast<CostOpInterface>(op).getFlops();
    if (!outBytes || !flops)
      continue;
    unsigned home = idOf(&op);
    // Uses per other cluster (clusters of two or more ops only: a single op
    // gains nothing from a copy of its producer that it cannot fuse with).
    std::map<unsigned, int64_t> usesIn;
    for (OpOperand &use : op.getResult(0).getUses()) {
      Operation *user = blockUser(use.getOwner());
      unsigned id = user ? idOf(user) : ~0u;
      if (id == ~0u || id == home || clusters[id].ops.size() < 2)
        continue;
      // The user must accept a fused producer.
      if (!cast<FusibleOpInterface>(user).fusesProducers())
        continue;
      ++usesIn[id];
    }
    for (auto [id, uses] : usesIn) {
      Cluster &target = clusters[id];
      if (target.optimizer != clusters[home].optimizer ||
          (!target.optimizer &&
           (int64_t)(target.ops.size() + target.recomputed.size()) >=
               config.maxGroupSize))
        continue;
      // Bytes saved: the intermediate is not read from memory by this
      // cluster; the copy reads the producer's operands unless the cluster
      // computes or reads them already.
      int64_t saved = uses * *outBytes;
      for (Value operand : op.getOperands()) {
        Operation *def = operand.getDefiningOp();
        if (def && (idOf(def) == id || isSplatConstant(def)))
          continue;
        bool alreadyRead = llvm::any_of(operand.getUsers(), [&](Operation *u) {
          Operation *bu = blockUser(u);
          return bu && idOf(bu) == id;
        });
        if (!alreadyRead)
          saved -= *bytesOf(operand.getType());
      }
      if (saved <= 0 ||
          (double)*flops > config.recomputeFlopsPerByte * (double)saved)
        continue;
      target.recomputed.push_back(&op);
    }
  }
}

void BlockClustering::applyRecompute() {
  llvm::SetVector<Operation *> originals;
  for (unsigned id = 0; id < clusters.size(); ++id) {
    Cluster &cluster = clusters[id];
    for (Operation *op : cluster.recomputed) {
      OpBuilder builder(op->getContext());
      builder.setInsertionPointAfter(op);
      Operation *copy = builder.clone(*op);
      op->getResult(0).replaceUsesWithIf(
          copy->getResult(0), [&](OpOperand &use) {
            Operation *user = blockUser(use.getOwner());
            return user && user != copy && idOf(user) == id;
          });
      clusterOf[copy] = id;
      cluster.ops.push_back(copy);
      originals.insert(op);
    }
    cluster.recomputed.clear();
  }
  for (Operation *op : originals) {
    if (!op->use_empty())
      continue;
    Cluster &home = clusters[idOf(op)];
    llvm::erase(home.ops, op);
    if (home.anchor == op)
      home.anchor = nullptr;
    clusterOf.erase(op);
    op->erase();
  }
}

llvm::SmallVector<Cluster *> BlockClustering::groups() {
  llvm::SmallVector<Cluster *> result;
  llvm::DenseSet<unsigned> seen;
  for (Operation &op : block) {
    unsigned id = idOf(&op);
    if (id == ~0u || !seen.insert(id).second)
      continue;
    Cluster &cluster = clusters[id];
    if (cluster.ops.size() < 2)
      continue;
    if (!cluster.anchor && !cluster.optimizer && !config.elementwise)
      continue;
    result.push_back(&cluster);
  }
  return result;
}

/// The elementwise ops of a training step that compute its updated state:
/// reached backwards from the results that kiln.update_binding feeds back,
/// through fusible elementwise ops only (a gradient's matmul or reduction
/// ends the walk).
llvm::DenseSet<Operation *> findOptimizerOps(func::FuncOp func) {
  llvm::DenseSet<Operation *> ops;
  auto binding = func->getAttrOfType<DictionaryAttr>(kUpdateBindingAttr);
  if (!binding || func.getBody().getBlocks().size() != 1)
    return ops;
  llvm::StringSet<> updated;
  for (NamedAttribute entry : binding)
    if (auto name = dyn_cast<StringAttr>(entry.getValue()))
      updated.insert(name.getValue());
  auto ret = dyn_cast<func::ReturnOp>(func.getBody().front().getTerminator());
  if (!ret)
    return ops;
  llvm::SmallVector<Operation *> worklist;
  for (unsigned i = 0; i < func.getNumResults(); ++i) {
    auto name = func.getResultAttrOfType<StringAttr>(i, "kiln.onnx_name");
    if (!name || !updated.contains(name.getValue()))
      continue;
    if (Operation *def = ret.getOperand(i).getDefiningOp())
      worklist.push_back(def);
  }
  while (!worklist.empty()) {
    Operation *op = worklist.pop_back_val();
    auto fusible = dyn_cast<FusibleOpInterface>(op);
    if (!fusible || fusible.getFusionRole() != FusionRole::Elementwise ||
        !ops.insert(op).second)
      continue;
    for (Value operand : op->getOperands())
      if (Operation *def = operand.getDefiningOp())
        worklist.push_back(def);
  }
  return ops;
}

FusionGroupKind kindOf(const Cluster &cluster) {
  if (cluster.optimizer)
    return FusionGroupKind::optimizer;
  if (!cluster.anchor)
    return FusionGroupKind::elementwise;
  return cast<FusibleOpInterface>(cluster.anchor).getFusionRole() ==
                 FusionRole::Contraction
             ? FusionGroupKind::contraction_epilogue
             : FusionGroupKind::reduction_epilogue;
}

/// Replaces the ops of `cluster` by one kiln.fusion_group (recomputed
/// producers are members by now, see applyRecompute).
FusionGroupOp buildGroup(Cluster &cluster,
                         const llvm::DenseMap<Operation *, unsigned> &position,
                         llvm::SetVector<Operation *> &clonedConstants) {
  auto byPosition = [&](Operation *x, Operation *y) {
    return position.lookup(x) < position.lookup(y);
  };
  llvm::SmallVector<Operation *> members(cluster.ops);
  llvm::sort(members, byPosition);
  llvm::SetVector<Operation *> memberSet(members.begin(), members.end());
  llvm::ArrayRef<Operation *> body = members;
  const llvm::SetVector<Operation *> &bodySet = memberSet;

  // Inputs: values read by body ops and defined outside (splat constants
  // are cloned instead).
  llvm::SetVector<Value> inputs;
  llvm::SetVector<Operation *> constants;
  for (Operation *op : body)
    for (Value operand : op->getOperands()) {
      Operation *def = operand.getDefiningOp();
      if (def && bodySet.contains(def))
        continue;
      if (isSplatConstant(def))
        constants.insert(def);
      else
        inputs.insert(operand);
    }
  // Results: member values used outside the group.
  llvm::SmallVector<Value> outputs;
  for (Operation *op : members)
    for (Value result : op->getResults())
      if (llvm::any_of(result.getUsers(), [&](Operation *user) {
            Operation *top = op->getBlock()->findAncestorOpInBlock(*user);
            return !top || !memberSet.contains(top);
          }))
        outputs.push_back(result);

  OpBuilder builder(members.back());
  llvm::SmallVector<Type> resultTypes;
  for (Value v : outputs)
    resultTypes.push_back(v.getType());
  Location loc = builder.getFusedLoc(llvm::map_to_vector(
      members, [](Operation *op) { return op->getLoc(); }));
  auto group = FusionGroupOp::create(builder, loc, resultTypes,
                                     kindOf(cluster), inputs.getArrayRef());
  Block *block = builder.createBlock(&group.getBody());
  IRMapping mapping;
  for (Value input : inputs)
    mapping.map(input, block->addArgument(input.getType(), input.getLoc()));
  for (Operation *constant : constants) {
    builder.clone(*constant, mapping);
    clonedConstants.insert(constant);
  }
  for (Operation *op : body)
    builder.clone(*op, mapping);
  YieldOp::create(builder, loc,
                  llvm::map_to_vector(outputs, [&](Value v) {
                    return mapping.lookup(v);
                  }));

  for (auto [output, result] : llvm::zip(outputs, group.getResults()))
    output.replaceUsesWithIf(result, [&](OpOperand &use) {
      return !memberSet.contains(use.getOwner());
    });
  // The members' remaining uses are by each other.
  for (Operation *op : llvm::reverse(members)) {
    op->dropAllUses();
    op->erase();
  }
  return group;
}

/// What the function moves and computes, by CostOpInterface: bytes of its
/// top-level ops (a group moves its inputs and results), FLOPs of all ops.
struct Totals {
  int64_t bytes = 0, flops = 0;
};
Totals measure(func::FuncOp func) {
  Totals totals;
  for (Block &block : func.getBody())
    for (Operation &op : block) {
      if (isa<FusionGroupOp>(op)) {
        if (std::optional<int64_t> b = kiln::detail::defaultBytesMoved(&op))
          totals.bytes += *b;
        continue;
      }
      if (auto cost = dyn_cast<CostOpInterface>(op))
        if (std::optional<int64_t> b = cost.getBytesMoved())
          totals.bytes += *b;
    }
  func.walk([&](CostOpInterface op) {
    if (std::optional<int64_t> f = op.getFlops())
      totals.flops += *f;
  });
  return totals;
}

struct KilnFusePass : public kiln::impl::KilnFuseBase<KilnFusePass> {
  using Base::Base;

  LogicalResult initialize(MLIRContext *ctx) override {
    if (kinds.empty())
      return success();
    config.elementwise = config.reduction = config.contraction =
        config.optimizer = false;
    for (const std::string &kind : kinds) {
      bool *flag = llvm::StringSwitch<bool *>(kind)
                       .Case("elementwise", &config.elementwise)
                       .Case("reduction_epilogue", &config.reduction)
                       .Case("contraction_epilogue", &config.contraction)
                       .Case("optimizer", &config.optimizer)
                       .Default(nullptr);
      if (!flag)
        return emitError(UnknownLoc::get(ctx))
               << "kiln-fuse: unknown group kind '" << kind
               << "' (expected elementwise, reduction_epilogue, "
                  "contraction_epilogue or optimizer)";
      *flag = true;
    }
    return success();
  }

  void runOnOperation() override {
    func::FuncOp func = getOperation();
    // Autodiff differentiates kiln ops, not groups: a function that still
    // requests gradients is left alone until kiln-autodiff has run.
    bool requestsGradients =
        func.getBody()
            .walk([](GradientOp) { return WalkResult::interrupt(); })
            .wasInterrupted();
    if (requestsGradients) {
      emitRemark(func.getLoc(),
                 "kiln-fuse: not fused: the function has kiln.gradient "
                 "requests (run kiln-autodiff first)");
      markAllAnalysesPreserved();
      return;
    }
    config.maxGroupSize = maxGroupSize;
    config.recomputeFlopsPerByte = recomputeFlopsPerByte;
    Totals before = measure(func);
    llvm::DenseSet<Operation *> optimizerOps;
    if (config.optimizer)
      optimizerOps = findOptimizerOps(func);

    std::map<FusionGroupKind, int64_t> perKind;
    int64_t groups = 0, fusedOps = 0;
    for (Block &block : func.getBody()) {
      BlockClustering clustering(block, config, optimizerOps);
      clustering.run();
      clustering.applyRecompute();
      llvm::SmallVector<Cluster *> clusters = clustering.groups();
      if (clusters.empty())
        continue;
      llvm::DenseMap<Operation *, unsigned> position;
      unsigned index = 0;
      for (Operation &op : block)
        position[&op] = index++;
      llvm::SetVector<Operation *> clonedConstants;
      for (Cluster *cluster : clusters) {
        FusionGroupOp group = buildGroup(*cluster, position, clonedConstants);
        ++groups;
        ++perKind[group.getKind()];
        fusedOps += cluster->ops.size();
      }
      // A constant that every user now clones is gone.
      for (Operation *constant : clonedConstants)
        if (constant->use_empty())
          constant->erase();
      if (!sortTopologically(&block)) {
        func.emitError("kiln-fuse: fusion groups formed a cycle");
        return signalPassFailure();
      }
    }

    Totals after = measure(func);
    int64_t bytesSaved = before.bytes - after.bytes;
    int64_t flopsAdded = after.flops - before.flops;
    numGroups += groups;
    numFusedOps += fusedOps;
    numBytesSaved += bytesSaved;
    numFlopsDuplicated += flopsAdded;
    InFlightDiagnostic remark = emitRemark(func.getLoc());
    remark << "kiln-fuse: " << groups << " groups (";
    llvm::interleaveComma(
        llvm::ArrayRef<FusionGroupKind>{FusionGroupKind::elementwise,
                                        FusionGroupKind::reduction_epilogue,
                                        FusionGroupKind::contraction_epilogue,
                                        FusionGroupKind::optimizer},
        remark, [&](FusionGroupKind kind) {
          remark << perKind[kind] << " " << stringifyFusionGroupKind(kind);
        });
    remark << "), " << fusedOps << " ops fused, " << bytesSaved
           << " bytes saved, " << flopsAdded << " flops duplicated";
    if (groups == 0)
      markAllAnalysesPreserved();
  }

  FuseConfig config;
};

} // namespace
