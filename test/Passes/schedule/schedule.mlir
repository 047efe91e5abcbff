// kiln-schedule reorders side-effect-free ops to lower the peak of live
// tensors (tensor-level model: each op allocates its results, freed after
// their last use; arguments, constants, views and returned values cost
// nothing transient). Peaks below are worked out by hand.
// RUN: kiln-opt %s -split-input-file --kiln-schedule 2>/dev/null | FileCheck %s
// RUN: kiln-opt %s -split-input-file --kiln-schedule -mlir-print-op-on-diagnostic=false 2>&1 >/dev/null | FileCheck %s --check-prefix=REMARK

// Two branches that each make a 1 KiB tensor and reduce it. As written,
// both 1 KiB tensors are live together: 1024 + 1024 + 4 = 2052 bytes. The
// greedy order reduces the first branch before starting the second, since
// the reduction frees 1024 bytes for 4: peak 1024 + 4 + 4 = 1032 bytes.
// REMARK: remark: kiln-schedule: tensor peak 2052 -> 1032 bytes
// CHECK-LABEL: func.func @branches
// CHECK-NEXT: %[[A1:.*]] = kiln.exp %arg0
// CHECK-NEXT: %[[A2:.*]] = kiln.reduce_sum %[[A1]]
// CHECK-NEXT: %[[B1:.*]] = kiln.exp %arg0
// CHECK-NEXT: %[[B2:.*]] = kiln.reduce_sum %[[B1]]
// CHECK-NEXT: %[[S:.*]] = kiln.add %[[A2]], %[[B2]]
// CHECK-NEXT: return %[[S]]
func.func @branches(%x: tensor<256xf32>) -> tensor<f32> {
  %a1 = kiln.exp %x : tensor<256xf32>
  %b1 = kiln.exp %x : tensor<256xf32>
  %a2 = kiln.reduce_sum %a1 {axes = array<i64: 0>, keep_dims = false} : tensor<256xf32> -> tensor<f32>
  %b2 = kiln.reduce_sum %b1 {axes = array<i64: 0>, keep_dims = false} : tensor<256xf32> -> tensor<f32>
  %s = kiln.add %a2, %b2 : tensor<f32>
  return %s : tensor<f32>
}

// -----

// A chain has one order: it is kept, and the remark says so. The result is
// the caller's (an out-param after bufferization), so the peak is the two
// 256-byte temporaries of the first mul: %a and %b.
// REMARK: remark: kiln-schedule: tensor peak 512 -> 512 bytes (order kept)
// CHECK-LABEL: func.func @chain
// CHECK-NEXT: kiln.exp
// CHECK-NEXT: kiln.tanh
// CHECK-NEXT: kiln.mul
func.func @chain(%x: tensor<64xf32>) -> tensor<64xf32> {
  %a = kiln.exp %x : tensor<64xf32>
  %b = kiln.tanh %a : tensor<64xf32>
  %c = kiln.mul %a, %b : tensor<64xf32>
  return %c : tensor<64xf32>
}

// -----

// An op with side effects (the call) stays in place and nothing crosses it:
// the two branches before it are reordered among themselves, the ops after
// it stay after it. A view (reshape) extends the life of what it views.
// REMARK: remark: kiln-schedule: tensor peak 2052 -> 1032 bytes
// CHECK-LABEL: func.func @barrier
// CHECK-NEXT: %[[A1:.*]] = kiln.exp %arg0
// CHECK-NEXT: %[[V:.*]] = kiln.reshape %[[A1]]
// CHECK-NEXT: %[[A2:.*]] = kiln.reduce_sum %[[V]]
// CHECK-NEXT: %[[B1:.*]] = kiln.exp %arg0
// CHECK-NEXT: %[[B2:.*]] = kiln.reduce_sum %[[B1]]
// CHECK-NEXT: call @effect()
// CHECK-NEXT: %[[C:.*]] = kiln.add %[[A2]], %[[B2]]
// CHECK-NEXT: return %[[C]]
func.func private @effect()
func.func @barrier(%x: tensor<256xf32>) -> tensor<f32> {
  %a1 = kiln.exp %x : tensor<256xf32>
  %b1 = kiln.exp %x : tensor<256xf32>
  %v = kiln.reshape %a1 : tensor<256xf32> to tensor<16x16xf32>
  %a2 = kiln.reduce_sum %v {axes = array<i64: 0, 1>, keep_dims = false} : tensor<16x16xf32> -> tensor<f32>
  %b2 = kiln.reduce_sum %b1 {axes = array<i64: 0>, keep_dims = false} : tensor<256xf32> -> tensor<f32>
  func.call @effect() : () -> ()
  %c = kiln.add %a2, %b2 : tensor<f32>
  return %c : tensor<f32>
}
