// kiln-remat: the function as a remat graph, solved within the budget and
// rebuilt; recomputed copies carry kiln.recomputed = N (the N-th copy).
// RUN: kiln-opt %s -split-input-file --kiln-remat="budget-fraction=0.7 method=exact measure-arena=0" 2>/dev/null | FileCheck %s
// RUN: kiln-opt %s -split-input-file --kiln-remat="budget-fraction=0.7 method=exact measure-arena=0" -mlir-print-op-on-diagnostic=false 2>&1 >/dev/null | FileCheck %s --check-prefix=REMARK

// A forward chain a -> b -> c -> d of 256-byte tensors and a backward
// chain that reads them in reverse, as a training step does. As written,
// a, b, c, d and e are live at once: 1280 bytes (g is the result, an
// out-param). The budget 0.7 * 1280 = 896 bytes fits three tensors: the
// cheapest schedule keeps d's inputs, then recomputes b from %x for f
// (two exps) and a once more for g; 3 copies, 3 * 64 FLOPs.
// REMARK: remark: kiln-remat: tensor peak 1280 -> 768 bytes (budget 896, saved 512), 3 ops recomputed, 192 FLOPs added (42.9% of 448), method exact
// CHECK-LABEL: func.func @chain
// CHECK-NEXT: %[[A:.*]] = kiln.exp %arg0 : tensor<64xf32>
// CHECK-NEXT: %[[B:.*]] = kiln.exp %[[A]] : tensor<64xf32>
// CHECK-NEXT: %[[C:.*]] = kiln.exp %[[B]] : tensor<64xf32>
// CHECK-NEXT: %[[D:.*]] = kiln.exp %[[C]] : tensor<64xf32>
// CHECK-NEXT: %[[E:.*]] = kiln.mul %[[D]], %[[C]] : tensor<64xf32>
// CHECK-NEXT: %[[A1:.*]] = kiln.exp %arg0 {kiln.recomputed = 1 : i64}
// CHECK-NEXT: %[[B1:.*]] = kiln.exp %[[A1]] {kiln.recomputed = 1 : i64}
// CHECK-NEXT: %[[F:.*]] = kiln.mul %[[E]], %[[B1]]
// CHECK-NEXT: %[[A2:.*]] = kiln.exp %arg0 {kiln.recomputed = 2 : i64}
// CHECK-NEXT: %[[G:.*]] = kiln.mul %[[F]], %[[A2]]
// CHECK-NEXT: return %[[G]]
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

// -----

// Views allocate nothing: the reshape of %a is re-created on the copy of %a
// that the later use reads, and constants move to the top.
// REMARK: remark: kiln-remat: tensor peak 1280 -> 768 bytes
// CHECK-LABEL: func.func @views
// CHECK-NEXT: %[[K:.*]] = kiln.constant
// CHECK: %[[A1:.*]] = kiln.exp %arg0 {kiln.recomputed = 2 : i64}
// CHECK-NEXT: %[[V1:.*]] = kiln.reshape %[[A1]] : tensor<64xf32> to tensor<8x8xf32>
// CHECK-NEXT: kiln.add %{{.*}}, %[[V1]] : tensor<8x8xf32>
func.func @views(%x: tensor<64xf32>) -> tensor<8x8xf32> {
  %a = kiln.exp %x : tensor<64xf32>
  %b = kiln.exp %a : tensor<64xf32>
  %c = kiln.exp %b : tensor<64xf32>
  %d = kiln.exp %c : tensor<64xf32>
  %e = kiln.mul %d, %c : tensor<64xf32>
  %f = kiln.mul %e, %b : tensor<64xf32>
  %k = kiln.constant dense<1.0> : tensor<8x8xf32>
  %fv = kiln.reshape %f : tensor<64xf32> to tensor<8x8xf32>
  %fk = kiln.mul %fv, %k : tensor<8x8xf32>
  %av = kiln.reshape %a : tensor<64xf32> to tensor<8x8xf32>
  %g = kiln.add %fk, %av : tensor<8x8xf32>
  return %g : tensor<8x8xf32>
}
