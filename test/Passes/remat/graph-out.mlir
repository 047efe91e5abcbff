// kiln-remat{graph-out=FILE} writes the solver's input as node-link JSON
// (Checkmate's field names), which kiln-remat-solve reads back; the
// function's results are marked keep_at_end.
// RUN: kiln-opt %s --kiln-remat="budget-fraction=0.7 method=exact graph-out=%t.json" -o /dev/null 2>/dev/null
// RUN: FileCheck %s --input-file=%t.json
// RUN: kiln-remat-solve %t.json --budget-fraction 0.7 --method exact --out %t.schedule.json 2>&1 | FileCheck %s --check-prefix=SOLVE

// Nodes in program order; cost = FLOPs + one per result element (64 + 64
// for an exp of 64 elements); bytes 0 for the returned %g (an out-param).
// CHECK: "nodes":[
// CHECK-SAME: {"id":0,"cost_cpu":128,"cost_ram":256,"op":"kiln.exp"}
// CHECK-SAME: {"id":1,"cost_cpu":128,"cost_ram":256,"op":"kiln.exp"}
// CHECK-SAME: {"id":4,"cost_cpu":128,"cost_ram":256,"op":"kiln.mul"}
// CHECK-SAME: {"id":6,"cost_cpu":128,"cost_ram":0,"op":"kiln.mul","keep_at_end":true}
// CHECK-SAME: "links":[{"source":0,"target":1}
// CHECK-SAME: {"source":3,"target":4},{"source":2,"target":4}

// The same problem, solved offline: the peak the pass reports (768 of 1280
// bytes) and 3 recomputed exps, 3 x 128 = 384 cost units on top of the
// 7 x 128 = 896 of one pass: overhead 42.857%.
// SOLVE: nodes=7 P0=1280
// SOLVE-SAME: status=ok peak=768
// SOLVE-SAME: overhead=42.857%
func.func @chain(%x: tensor<64xf32>) -> tensor<64xf32> {
  %a = kiln.exp %x : tensor<64xf32>
  %b = kiln.exp %a : tensor<64xf32>
  %c = kiln.exp %b : tensor<64xf32>
  %d = kiln.exp %c : tensor<64xf32>
  %e = kiln.mul %d, %c : tensor<64xf32>
  %f = kiln.mul %e, %b : tensor<64xf32>
  %g = kiln.mul %f, %a : tensor<64xf32>
  return %g : tensor<64xf32>
}
