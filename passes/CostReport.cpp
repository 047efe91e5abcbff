//===- CostReport.cpp - Sum the cost of a program -------------------------===//
//
// Part of the Kiln project: an MLIR compiler for training programs.
//
//===----------------------------------------------------------------------===//
//
// The kiln-cost-report pass: asks every op for its CostOpInterface numbers
// and reports the totals as statistics (and optionally a remark), so that
// a transformation's effect on FLOPs and bytes moved is visible.
//
//===----------------------------------------------------------------------===//

#include "kiln/Passes/Passes.h"

#include "kiln/Dialect/Kiln/KilnOps.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"

namespace kiln {
#define GEN_PASS_DEF_KILNCOSTREPORT
#include "kiln/Dialect/Kiln/Passes.h.inc"
} // namespace kiln

using namespace mlir;

namespace {
struct KilnCostReportPass
    : public kiln::impl::KilnCostReportBase<KilnCostReportPass> {
  using Base::Base;

  void runOnOperation() override {
    int64_t flops = 0, bytes = 0, costed = 0, uncosted = 0;
    getOperation().walk([&](kiln::CostOpInterface op) {
      std::optional<int64_t> f = op.getFlops();
      std::optional<int64_t> b = op.getBytesMoved();
      if (!f || !b) {
        ++uncosted;
        return;
      }
      ++costed;
      flops += *f;
      bytes += *b;
    });
    numCostedOps += costed;
    numUncostedOps += uncosted;
    totalFlops += flops;
    totalBytes += bytes;
    if (emitRemarks)
      emitRemark(getOperation().getLoc())
          << "kiln cost: " << flops << " flops, " << bytes
          << " bytes moved unfused, over " << costed << " ops (" << uncosted
          << " without a static cost)";
    markAllAnalysesPreserved();
  }
};
} // namespace
