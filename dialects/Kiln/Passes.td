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

#endif // KILN_PASSES_TD
