//===- FusionGraph.cpp - The dataflow graph with its fusion groups --------===//
//
// Part of the Kiln project: an MLIR compiler for training programs.
//
//===----------------------------------------------------------------------===//
//
// kiln-fusion-graph (see Passes.td): Graphviz DOT of each function's ops,
// fusion groups as clusters; optionally rendered to SVG by `dot`.
//
//===----------------------------------------------------------------------===//

#include "kiln/Passes/Passes.h"

#include "kiln/Dialect/Kiln/KilnOps.h"
#include "kiln/Import/ONNXImporter.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/BuiltinTypes.h"

#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/SetVector.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Program.h"
#include "llvm/Support/raw_ostream.h"

#include <set>
#include <vector>

namespace kiln {
#define GEN_PASS_DEF_KILNFUSIONGRAPH
#include "kiln/Dialect/Kiln/Passes.h.inc"
} // namespace kiln

using namespace mlir;

namespace {

/// "matmul\n256x1024xf32": the op's name without its dialect, and its first
/// result's shape.
std::string nodeLabel(Operation *op) {
  std::string label = op->getName().getStringRef().str();
  if (op->getName().getDialectNamespace() == "kiln")
    label = op->getName().stripDialect().str();
  if (op->getNumResults() == 0)
    return label;
  std::string type;
  llvm::raw_string_ostream os(type);
  if (auto shaped = dyn_cast<ShapedType>(op->getResult(0).getType())) {
    for (int64_t d : shaped.getShape())
      os << (ShapedType::isDynamic(d) ? std::string("?") : std::to_string(d))
         << "x";
    os << shaped.getElementType();
  } else {
    os << op->getResult(0).getType();
  }
  return label + "\\n" + type;
}

std::string quoted(StringRef text) {
  std::string out = "\"";
  for (char c : text) {
    if (c == '"')
      out += "\\\"";
    else
      out += c;
  }
  return out + "\"";
}

bool isConstant(Operation *op) {
  return isa<kiln::ConstantOp, arith::ConstantOp>(op);
}

/// Writes one function as a DOT cluster.
class FunctionGraph {
public:
  FunctionGraph(func::FuncOp func, unsigned index, llvm::raw_ostream &os)
      : func(func), prefix("f" + std::to_string(index) + "_"), os(os) {}

  void write() {
    os << "  subgraph cluster_" << prefix << " {\n"
       << "    label=" << quoted("@" + func.getSymName().str())
       << "; style=rounded; color=gray50;\n";
    for (BlockArgument arg : func.getArguments()) {
      std::string name = "arg" + std::to_string(arg.getArgNumber());
      if (auto onnx = func.getArgAttrOfType<StringAttr>(arg.getArgNumber(),
                                                        kiln::kOnnxNameAttr))
        name = onnx.getValue().str();
      os << "    " << argNode(arg) << " [label=" << quoted(name)
         << ", shape=ellipse, style=filled, fillcolor=gray92];\n";
      ++nodes;
    }
    writeBlock(func.getBody().front(), "    ");
    os << "  }\n";
    for (const auto &[from, to] : edges)
      os << "  " << from << " -> " << to << ";\n";
  }

  unsigned nodes = 0, groups = 0;
  size_t numEdges() const { return edges.size(); }

private:
  std::string opNode(Operation *op) {
    auto [it, inserted] = ids.try_emplace(op, ids.size());
    return prefix + "op" + std::to_string(it->second);
  }
  std::string argNode(BlockArgument arg) {
    return prefix + "arg" + std::to_string(arg.getArgNumber());
  }

  /// The node a value comes from, seen through fusion group boundaries;
  /// "" for constants.
  std::string source(Value value) {
    if (auto arg = dyn_cast<BlockArgument>(value)) {
      Operation *owner = arg.getOwner()->getParentOp();
      if (auto group = dyn_cast<kiln::FusionGroupOp>(owner))
        return source(group.getInputs()[arg.getArgNumber()]);
      return owner == func.getOperation() ? argNode(arg) : "";
    }
    Operation *op = value.getDefiningOp();
    if (auto group = dyn_cast<kiln::FusionGroupOp>(op)) {
      Operation *yield = group.getBody().front().getTerminator();
      return source(
          yield->getOperand(cast<OpResult>(value).getResultNumber()));
    }
    return isConstant(op) ? "" : opNode(op);
  }

  void writeBlock(Block &block, StringRef indent) {
    for (Operation &op : block) {
      if (op.hasTrait<OpTrait::IsTerminator>() || isConstant(&op))
        continue;
      if (auto group = dyn_cast<kiln::FusionGroupOp>(op)) {
        ++groups;
        os << indent << "subgraph cluster_" << prefix << "g" << groups
           << " {\n"
           << indent << "  label="
           << quoted("fusion_group: " +
                     kiln::stringifyFusionGroupKind(group.getKind()).str())
           << "; style=filled; color=orange; fillcolor=\"#fff3e0\";\n";
        writeBlock(group.getBody().front(), (indent + "  ").str());
        os << indent << "}\n";
        continue;
      }
      os << indent << opNode(&op) << " [label=" << quoted(nodeLabel(&op))
         << ", shape=box" << (op.getParentOfType<kiln::FusionGroupOp>()
                                   ? ", style=filled, fillcolor=white"
                                   : "")
         << "];\n";
      ++nodes;
      for (Value operand : op.getOperands()) {
        std::string from = source(operand);
        if (!from.empty())
          edges.insert({from, opNode(&op)});
      }
    }
  }

  func::FuncOp func;
  std::string prefix;
  llvm::raw_ostream &os;
  llvm::DenseMap<Operation *, unsigned> ids;
  /// Ordered and without duplicates: a stable picture.
  llvm::SetVector<std::pair<std::string, std::string>,
                  std::vector<std::pair<std::string, std::string>>,
                  std::set<std::pair<std::string, std::string>>>
      edges;
};

class FusionGraphPass
    : public kiln::impl::KilnFusionGraphBase<FusionGraphPass> {
public:
  using KilnFusionGraphBase::KilnFusionGraphBase;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    if (out.empty() || (format != "dot" && format != "svg")) {
      module.emitError() << "kiln-fusion-graph: "
                         << (out.empty() ? "out=FILE is required"
                                         : "format must be dot or svg, not '" +
                                               format + "'");
      return signalPassFailure();
    }
    std::string dot;
    llvm::raw_string_ostream os(dot);
    os << "digraph kiln {\n  rankdir=TB; compound=true;\n"
       << "  node [fontname=\"Helvetica\", fontsize=10];\n"
       << "  graph [fontname=\"Helvetica\", fontsize=11];\n";
    unsigned index = 0, nodes = 0, groups = 0, edges = 0;
    for (auto func : module.getOps<func::FuncOp>()) {
      if (func.isExternal() || !func.getBody().hasOneBlock())
        continue;
      FunctionGraph graph(func, index++, os);
      graph.write();
      nodes += graph.nodes;
      groups += graph.groups;
      edges += graph.numEdges();
    }
    os << "}\n";
    numNodes += nodes;
    numGroups += groups;
    numEdges += edges;
    if (failed(writeOut(module, dot)))
      return signalPassFailure();
    emitRemark(module.getLoc())
        << "kiln-fusion-graph: " << nodes << " nodes, " << groups
        << " fusion groups, " << edges << " edges written to " << out;
    markAllAnalysesPreserved();
  }

private:
  LogicalResult writeOut(ModuleOp module, StringRef dot) {
    if (format == "dot") {
      std::error_code ec;
      llvm::raw_fd_ostream file(out, ec);
      if (ec)
        return module.emitError() << "kiln-fusion-graph: cannot write '"
                                  << out << "': " << ec.message();
      file << dot;
      return success();
    }
    auto dotTool = llvm::sys::findProgramByName("dot");
    if (!dotTool)
      return module.emitError()
             << "kiln-fusion-graph: format=svg needs Graphviz's 'dot' "
                "(Debian package graphviz); format=dot writes the source";
    SmallString<128> source;
    if (std::error_code ec = llvm::sys::fs::createTemporaryFile(
            "kiln-fusion-graph", "dot", source))
      return module.emitError() << "kiln-fusion-graph: " << ec.message();
    {
      std::error_code ec;
      llvm::raw_fd_ostream file(source, ec);
      file << dot;
    }
    std::string outPath = out;
    SmallVector<StringRef> args = {*dotTool, "-Tsvg", source, "-o", outPath};
    std::string error;
    int rc = llvm::sys::ExecuteAndWait(*dotTool, args, std::nullopt, {}, 0,
                                       0, &error);
    llvm::sys::fs::remove(source);
    if (rc != 0)
      return module.emitError() << "kiln-fusion-graph: dot failed (" << rc
                                << (error.empty() ? "" : ": " + error) << ")";
    return success();
  }
};

} // namespace
