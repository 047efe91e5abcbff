// What the remat graph counts (seen through graph-out):
// - a broadcast that every reader fuses (elementwise readers) is no node:
//   its readers read its input, as after code generation; read by a matmul
//   it is a node with its bytes;
// - a lowering's scratch is what it allocates besides its result: the
//   gather-free max_pool2d_backward computes its result in a window view of
//   a buffer of its own and collapses it; that buffer is the result (16 KiB
//   here), and only the running maximum (4 KiB) and the argmax (1 KiB) are
//   scratch.
// RUN: kiln-opt %s --kiln-remat="budget-fraction=1.0 graph-out=%t.json" -o /dev/null
// RUN: FileCheck %s --input-file=%t.json

// CHECK: "nodes":[
// CHECK-SAME: "op":"kiln.reduce_mean"
// CHECK-SAME: {"id":[[ADD:[0-9]+]],"cost_cpu":2048,"cost_ram":4096,"op":"kiln.add"}
// CHECK-SAME: {"id":[[MUL:[0-9]+]],"cost_cpu":2048,"cost_ram":0,"op":"kiln.mul","keep_at_end":true}
// CHECK-SAME: {"id":{{[0-9]+}},"cost_cpu":1024,"cost_ram":4096,"op":"kiln.broadcast"}
// CHECK-SAME: "op":"kiln.matmul"
// CHECK-SAME: {"id":{{[0-9]+}},"cost_cpu":1,"cost_ram":5120,"op":"scratch"}
// CHECK-SAME: "cost_ram":0,"op":"kiln.max_pool2d_backward","keep_at_end":true}
// CHECK-NOT: kiln.broadcast
// The fused broadcast's readers read the mean (node 1) directly.
// CHECK-SAME: "links":[
// CHECK-SAME: {"source":1,"target":[[ADD]]}
// CHECK-SAME: {"source":1,"target":[[MUL]]}
func.func @model(%x: tensor<32x32xf32>, %v: tensor<32xf32>, %w: tensor<32x32xf32>,
                 %p: tensor<1x4x32x32xf32>, %g: tensor<1x4x16x16xf32>)
    -> (tensor<32x32xf32>, tensor<32x32xf32>, tensor<1x4x32x32xf32>) {
  %m = kiln.reduce_mean %x {axes = array<i64: 0>, keep_dims = false} : tensor<32x32xf32> -> tensor<32xf32>
  %b = kiln.broadcast %m : tensor<32xf32> to tensor<32x32xf32>
  %y = kiln.add %x, %b : tensor<32x32xf32>
  %z = kiln.mul %y, %b : tensor<32x32xf32>
  %c = kiln.broadcast %v : tensor<32xf32> to tensor<32x32xf32>
  %q = kiln.matmul %c, %w : tensor<32x32xf32>, tensor<32x32xf32> -> tensor<32x32xf32>
  %r = kiln.max_pool2d_backward %p, %g {dilations = array<i64: 1, 1>, kernel = array<i64: 2, 2>, padding = array<i64: 0, 0, 0, 0>, strides = array<i64: 2, 2>} : tensor<1x4x32x32xf32>, tensor<1x4x16x16xf32>
  return %z, %q, %r : tensor<32x32xf32>, tensor<32x32xf32>, tensor<1x4x32x32xf32>
}
