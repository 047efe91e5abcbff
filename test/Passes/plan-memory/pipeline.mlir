// kiln-plan-memory where the CPU pipeline runs it: after one-shot
// bufferization and results-to-out-params, before the ownership-based
// deallocation pipeline, which then frees the arena once (and never a view
// of it). The remark reports what the plan saved.
// RUN: kiln-opt %s --one-shot-bufferize="bufferize-function-boundaries function-boundary-type-conversion=identity-layout-map" --buffer-results-to-out-params="modify-public-functions hoist-static-allocs" --kiln-plan-memory --buffer-deallocation-pipeline --convert-bufferization-to-memref 2>%t.remarks | FileCheck %s
// RUN: FileCheck %s --check-prefix=REMARK < %t.remarks

#id = affine_map<(d0, d1) -> (d0, d1)>

// %h (4x16 f32, 256 bytes) is live from the first matmul to the relu, %r
// (256 bytes) from the relu to the second matmul: they meet at the relu, so
// the arena holds both (512 bytes); %s (256 bytes, the tanh) starts after
// %h's last use and takes its bytes. The result became the out-param.
// CHECK-LABEL: func.func @layers(
// CHECK-SAME: %{{.*}}: memref<4x3xf32>)
// CHECK-SAME: kiln.arena_bytes = 512 : i64
// CHECK-SAME: kiln.planned_buffers = 3 : i64
// CHECK: %[[ARENA:.*]] = memref.alloc() {alignment = 64 : i64, kiln.arena} : memref<512xi8>
// CHECK-NOT: memref.alloc
// %s's view is %h's (same offset 0); the pipeline's CSE merges the two.
// CHECK: %[[H:.*]] = memref.view %[[ARENA]][%[[C0:.*]]][] : memref<512xi8> to memref<4x16xf32>
// CHECK: linalg.matmul {{.*}} outs(%[[H]] : memref<4x16xf32>)
// CHECK: %[[R:.*]] = memref.view %[[ARENA]][%[[C256:.*]]][] : memref<512xi8> to memref<4x16xf32>
// CHECK: linalg.generic {{.*}} ins(%[[H]] : memref<4x16xf32>) outs(%[[R]] : memref<4x16xf32>)
// CHECK: linalg.generic {{.*}} ins(%[[R]] : memref<4x16xf32>) outs(%[[H]] : memref<4x16xf32>)
// CHECK-NOT: memref.dealloc
// CHECK: memref.dealloc %[[ARENA]] : memref<512xi8>
// CHECK-NOT: memref.dealloc
// CHECK: return
// REMARK: remark: plan-memory: 3 buffers in a 512-byte arena (768 bytes as separate allocations, saved 256; live-bytes bound 512); left separate: 0 static (0 bytes), 0 dynamic
func.func @layers(%x: tensor<4x8xf32>, %w1: tensor<8x16xf32>,
                  %w2: tensor<16x3xf32>) -> tensor<4x3xf32> {
  %zero = arith.constant 0.0 : f32
  %e1 = tensor.empty() : tensor<4x16xf32>
  %f1 = linalg.fill ins(%zero : f32) outs(%e1 : tensor<4x16xf32>) -> tensor<4x16xf32>
  %h = linalg.matmul ins(%x, %w1 : tensor<4x8xf32>, tensor<8x16xf32>)
                     outs(%f1 : tensor<4x16xf32>) -> tensor<4x16xf32>
  %e2 = tensor.empty() : tensor<4x16xf32>
  %r = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%h : tensor<4x16xf32>) outs(%e2 : tensor<4x16xf32>) {
  ^bb0(%in: f32, %out: f32):
    %m = arith.maximumf %in, %zero : f32
    linalg.yield %m : f32
  } -> tensor<4x16xf32>
  %e3 = tensor.empty() : tensor<4x16xf32>
  %s = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%r : tensor<4x16xf32>) outs(%e3 : tensor<4x16xf32>) {
  ^bb0(%in: f32, %out: f32):
    %t = math.tanh %in : f32
    linalg.yield %t : f32
  } -> tensor<4x16xf32>
  %e4 = tensor.empty() : tensor<4x3xf32>
  %f4 = linalg.fill ins(%zero : f32) outs(%e4 : tensor<4x3xf32>) -> tensor<4x3xf32>
  %y = linalg.matmul ins(%s, %w2 : tensor<4x16xf32>, tensor<16x3xf32>)
                     outs(%f4 : tensor<4x3xf32>) -> tensor<4x3xf32>
  return %y : tensor<4x3xf32>
}
