// kiln-fusion-graph format=svg renders the DOT with Graphviz's dot.
// REQUIRES: graphviz
// RUN: kiln-opt %s --kiln-fuse "--kiln-fusion-graph=out=%t.svg format=svg" -o /dev/null
// RUN: FileCheck %s < %t.svg
// CHECK: <svg
// CHECK: fusion_group: contraction_epilogue
// CHECK: matmul
// CHECK: </svg>
func.func @main(%x: tensor<4x8xf32>, %w: tensor<8x16xf32>, %b: tensor<16xf32>) -> tensor<4x16xf32> {
  %m = kiln.matmul %x, %w : tensor<4x8xf32>, tensor<8x16xf32> -> tensor<4x16xf32>
  %bb = kiln.broadcast %b : tensor<16xf32> to tensor<4x16xf32>
  %a = kiln.add %m, %bb : tensor<4x16xf32>
  %y = kiln.relu %a : tensor<4x16xf32>
  return %y : tensor<4x16xf32>
}
