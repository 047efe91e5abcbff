// The recomputed copies survive lowering and CSE: convert-kiln-to-linalg
// copies kiln.recomputed onto every op it makes for a marked op, so CSE
// cannot merge a copy with its original (same op, same inputs), and the
// copy numbers keep two copies of one op apart.
// RUN: kiln-opt %s --kiln-remat="budget-fraction=0.7 method=exact measure-arena=0" --convert-kiln-to-linalg --cse 2>/dev/null | FileCheck %s

// Three exps of %arg0: the original and its copies 1 and 2.
// CHECK-LABEL: func.func @chain
// CHECK: linalg.generic {{.*}} ins(%arg0 : tensor<64xf32>)
// CHECK-NOT: kiln.recomputed
// CHECK: %[[E1:.*]] = tensor.empty() {kiln.recomputed = 1 : i64}
// CHECK-NEXT: linalg.generic {{.*}} ins(%arg0 : tensor<64xf32>) outs(%[[E1]] : tensor<64xf32>) attrs = {kiln.recomputed = 1 : i64}
// CHECK: %[[E2:.*]] = tensor.empty() {kiln.recomputed = 2 : i64}
// CHECK-NEXT: linalg.generic {{.*}} ins(%arg0 : tensor<64xf32>) outs(%[[E2]] : tensor<64xf32>) attrs = {kiln.recomputed = 2 : i64}
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
