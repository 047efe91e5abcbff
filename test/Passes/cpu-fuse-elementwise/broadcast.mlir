// kiln-cpu-fuse-elementwise and broadcasts: a broadcast (a generic that only
// moves elements) fuses into every elementwise reader, each getting its own
// copy, so its full-size buffer is never written; a reader that does not
// fuse (a matmul) keeps the original. The broadcast's input counts as kept
// alive by the fusion, its tensor.empty destination does not.
// RUN: kiln-opt %s -split-input-file --convert-kiln-to-linalg \
// RUN:   --kiln-cpu-fuse-elementwise | FileCheck %s

// The bias of a forward add is read again by a recomputed copy in the
// backward pass (as kiln-remat leaves it); the mean is computed in the
// function, so fusing extends its life (32 bytes against 4 KiB removed).
// CHECK-LABEL: func.func @two_readers
// CHECK-NOT: linalg.yield %in : f32
// CHECK: linalg.generic {{.*}} ins(%{{.*}}, %{{.*}} : tensor<32x32xf32>, tensor<32xf32>)
// CHECK: arith.addf
// CHECK: linalg.matmul
// CHECK: linalg.generic {{.*}} ins(%{{.*}}, %{{.*}} : tensor<32x32xf32>, tensor<32xf32>)
// CHECK: arith.mulf
// CHECK-NOT: linalg.yield %in : f32
// CHECK: return
func.func @two_readers(%x: tensor<32x32xf32>, %w: tensor<32x32xf32>) -> (tensor<32x32xf32>, tensor<32x32xf32>) {
  %m = kiln.reduce_mean %x {axes = array<i64: 0>, keep_dims = false} : tensor<32x32xf32> -> tensor<32xf32>
  %b = kiln.broadcast %m : tensor<32xf32> to tensor<32x32xf32>
  %y = kiln.add %x, %b : tensor<32x32xf32>
  %p = kiln.matmul %y, %w : tensor<32x32xf32>, tensor<32x32xf32> -> tensor<32x32xf32>
  %z = kiln.mul %p, %b : tensor<32x32xf32>
  return %p, %z : tensor<32x32xf32>, tensor<32x32xf32>
}

// -----

// Read by a matmul and by an add: the matmul reads the broadcast tensor
// (one broadcast generic stays), the add fuses a copy of it.
// CHECK-LABEL: func.func @matmul_reader
// CHECK: linalg.generic
// CHECK-NEXT: ^bb0(%[[IN:.*]]: f32, %{{.*}}: f32):
// CHECK-NEXT: linalg.yield %[[IN]] : f32
// CHECK: linalg.matmul
// CHECK: linalg.generic {{.*}} ins(%{{.*}}, %{{.*}} : tensor<32x32xf32>, tensor<32xf32>)
// CHECK-NOT: linalg.yield %in : f32
// CHECK: return
func.func @matmul_reader(%v: tensor<32xf32>, %x: tensor<32x32xf32>) -> (tensor<32x32xf32>, tensor<32x32xf32>) {
  %b = kiln.broadcast %v : tensor<32xf32> to tensor<32x32xf32>
  %p = kiln.matmul %b, %x : tensor<32x32xf32>, tensor<32x32xf32> -> tensor<32x32xf32>
  %y = kiln.add %x, %b : tensor<32x32xf32>
  return %p, %y : tensor<32x32xf32>, tensor<32x32xf32>
}
