// kiln-fusion-graph: the dataflow graph of each function as Graphviz DOT,
// fusion groups as clusters around the ops fused into them, edges through
// the groups' inputs and results; constants and terminators left out;
// arguments named by their ONNX names. The IR is unchanged.
// RUN: kiln-opt %s --kiln-fusion-graph=out=%t.dot --mlir-print-op-on-diagnostic=false 2>%t.remarks | FileCheck %s --check-prefix=IR
// RUN: FileCheck %s --check-prefix=DOT < %t.dot
// RUN: FileCheck %s --check-prefix=REMARK < %t.remarks
// RUN: not kiln-opt %s --kiln-fusion-graph -o /dev/null 2>&1 | FileCheck %s --check-prefix=NOOUT
// RUN: not kiln-opt %s "--kiln-fusion-graph=out=%t.png format=png" -o /dev/null 2>&1 | FileCheck %s --check-prefix=FORMAT

// REMARK: remark: kiln-fusion-graph: 7 nodes, 1 fusion groups, 5 edges written to
// NOOUT: error: kiln-fusion-graph: out=FILE is required
// FORMAT: error: kiln-fusion-graph: format must be dot or svg, not 'png'

// IR: %[[G:.*]] = kiln.fusion_group contraction_epilogue
// IR: kiln.matmul
// IR: kiln.relu
// IR: kiln.reduce_sum

// DOT: digraph kiln {
// DOT: subgraph cluster_f0_ {
// DOT-NEXT: label="@main"
// DOT-NEXT: f0_arg0 [label="x", shape=ellipse
// DOT-NEXT: f0_arg1 [label="w", shape=ellipse
// DOT-NEXT: subgraph cluster_f0_g1 {
// DOT-NEXT: label="fusion_group: contraction_epilogue"
// DOT-NEXT: f0_op0 [label="matmul\n4x16xf32", shape=box, style=filled
// DOT-NEXT: f0_op1 [label="relu\n4x16xf32", shape=box, style=filled
// DOT-NEXT: }
// DOT-NEXT: f0_op2 [label="reduce_sum\n16xf32", shape=box];
// Edges: into the group's ops from the arguments, out of it from relu.
// DOT-DAG: f0_arg0 -> f0_op0;
// DOT-DAG: f0_arg1 -> f0_op0;
// DOT-DAG: f0_op0 -> f0_op1;
// DOT-DAG: f0_op1 -> f0_op2;
// The second function: its own cluster, a scale by a constant (not drawn).
// DOT-DAG: f1_arg0 -> f1_op0;
// DOT-NOT: constant

func.func @main(%x: tensor<4x8xf32> {kiln.onnx_name = "x"},
                %w: tensor<8x16xf32> {kiln.onnx_name = "w"}) -> tensor<16xf32> {
  %r = kiln.fusion_group contraction_epilogue ins(%x, %w : tensor<4x8xf32>, tensor<8x16xf32>) -> (tensor<4x16xf32>) {
  ^bb0(%a: tensor<4x8xf32>, %b: tensor<8x16xf32>):
    %m = kiln.matmul %a, %b : tensor<4x8xf32>, tensor<8x16xf32> -> tensor<4x16xf32>
    %y = kiln.relu %m : tensor<4x16xf32>
    kiln.yield %y : tensor<4x16xf32>
  }
  %s = kiln.reduce_sum %r {axes = array<i64: 0>, keep_dims = false} : tensor<4x16xf32> -> tensor<16xf32>
  return %s : tensor<16xf32>
}

func.func @scale(%v: tensor<16xf32>) -> tensor<16xf32> {
  %c = kiln.constant dense<2.0> : tensor<16xf32>
  %p = kiln.mul %v, %c : tensor<16xf32>
  return %p : tensor<16xf32>
}
