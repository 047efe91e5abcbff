// kiln-quantize mode=fp8 on a training step that still holds its
// kiln.gradient request (emulated through MLIR's f8 types; kiln-cpu-expand-
// float8 lowers the casts on the CPU).
//  - Each matmul operand is rounded to E4M3 with a delayed per-tensor
//    scale: s = 448 / max(amax history) (this step's max|x| while the
//    history is zero),
//    q = e4m3(x * s) / s, as x + stop_gradient(q - x); the history state
//    fp8.amax_K rolls in this step's max|x|.
//  - The gradient reaching the matmul result is rounded to E5M2: the result
//    becomes stop_gradient(y) + (e - stop_gradient(e)), e = e5m2(y).
//  - Dynamic loss scaling keeps the gradients in range (S0 = 65536).
// RUN: kiln-opt %s --kiln-quantize="mode=fp8 amax-history=4" | FileCheck %s
// RUN: kiln-opt %s --kiln-quantize="mode=fp8 margin=2" | FileCheck %s --check-prefix=MARGIN
// RUN: kiln-opt %s --kiln-quantize="mode=fp8" 2>&1 >/dev/null | FileCheck %s --check-prefix=REMARK
// RUN: not kiln-opt %s --kiln-quantize="mode=fp8 amax-history=0" 2>&1 | FileCheck %s --check-prefix=BAD

module {
  func.func @main(%arg0: tensor<4x3xf32> {kiln.onnx_name = "x"}, %arg1: tensor<4x2xf32> {kiln.onnx_name = "label"}, %arg2: tensor<3x2xf32> {kiln.onnx_name = "W"}) -> (tensor<f32> {kiln.onnx_name = "loss"}, tensor<3x2xf32> {kiln.onnx_name = "W_new"}) attributes {kiln.init_function = @main_init, kiln.update_binding = {W = "W_new"}} {
    %0 = kiln.tanh %arg0 : tensor<4x3xf32>
    %1 = kiln.matmul %0, %arg2 : tensor<4x3xf32>, tensor<3x2xf32> -> tensor<4x2xf32>
    %4 = kiln.sub %1, %arg1 : tensor<4x2xf32> loc("loss")
    %5 = kiln.mul %4, %4 : tensor<4x2xf32> loc("loss")
    %6 = kiln.reduce_mean %5 {axes = array<i64: 0, 1>, keep_dims = false} : tensor<4x2xf32> -> tensor<f32> loc("loss")
    %7 = kiln.gradient %6 wrt %arg2 : tensor<f32> wrt tensor<3x2xf32>
    %8 = kiln.constant dense<1.000000e-01> : tensor<3x2xf32>
    %10 = kiln.mul %8, %7 : tensor<3x2xf32>
    %11 = kiln.sub %arg2, %10 : tensor<3x2xf32>
    return %6, %11 : tensor<f32>, tensor<3x2xf32>
  }
  func.func @main_init() -> (tensor<3x2xf32> {kiln.onnx_name = "W"}) {
    %0 = kiln.constant {kiln.onnx_name = "W"} dense<5.000000e-01> : tensor<3x2xf32>
    return %0 : tensor<3x2xf32>
  }
}

// CHECK-LABEL: func.func @main(
// CHECK-SAME: %arg3: tensor<4xf32> {kiln.onnx_name = "fp8.amax_0"}, %arg4: tensor<4xf32> {kiln.onnx_name = "fp8.amax_1"}, %arg5: tensor<f32> {kiln.onnx_name = "loss_scale"}
// CHECK-SAME: kiln.update_binding = {W = "W_new", fp8.amax_0 = "fp8.amax_0_new", fp8.amax_1 = "fp8.amax_1_new", loss_scale = "loss_scale_new", loss_scale_good_steps = "loss_scale_good_steps_new"}
// The activation: scale from its history (from this step's max|x| while
// the history is all zero), E4M3 round trip, straight through.
// CHECK: %[[H:.*]] = kiln.tanh %arg0
// CHECK: %[[AH:.*]] = kiln.abs %[[H]]
// CHECK: %[[CUR:.*]] = kiln.reduce_max %[[AH]] {axes = array<i64: 0, 1>, keep_dims = false} : tensor<4x3xf32> -> tensor<f32>
// CHECK: %[[AMAX:.*]] = kiln.stop_gradient %[[CUR]]
// CHECK: %[[PAST:.*]] = kiln.reduce_max %arg3 {axes = array<i64: 0>, keep_dims = false} : tensor<4xf32> -> tensor<f32>
// CHECK: %[[SEEN:.*]] = kiln.compare gt, %[[PAST]]
// CHECK: %[[RANGE:.*]] = kiln.select %[[SEEN]], %[[PAST]], %[[AMAX]]
// CHECK: %[[T:.*]] = kiln.constant dense<4.480000e+02> : tensor<f32>
// CHECK: %[[SAFE:.*]] = kiln.max %[[RANGE]]
// CHECK: %[[S:.*]] = kiln.div %[[T]], %[[SAFE]]
// CHECK: %[[SB:.*]] = kiln.broadcast %[[S]] : tensor<f32> to tensor<4x3xf32>
// CHECK: %[[XS:.*]] = kiln.mul %[[H]], %[[SB]]
// CHECK: %[[F8:.*]] = kiln.cast %[[XS]] : tensor<4x3xf32> to tensor<4x3xf8E4M3FN>
// CHECK: %[[BACK:.*]] = kiln.cast %[[F8]] : tensor<4x3xf8E4M3FN> to tensor<4x3xf32>
// CHECK: %[[Q:.*]] = kiln.div %[[BACK]], %[[SB]]
// CHECK: %[[D:.*]] = kiln.sub %[[Q]], %[[H]]
// CHECK: %[[SG:.*]] = kiln.stop_gradient %[[D]]
// CHECK: %[[XQ:.*]] = kiln.add %[[H]], %[[SG]]
// The history rolls: the last 3 entries, then this step's max|x|.
// CHECK: %[[NEWEST:.*]] = kiln.reshape %[[AMAX]] : tensor<f32> to tensor<1xf32>
// CHECK: %[[KEPT:.*]] = kiln.slice %arg3 {offsets = array<i64: 1>, sizes = array<i64: 3>, strides = array<i64: 1>}
// CHECK: %[[HIST:.*]] = kiln.concat %[[KEPT]], %[[NEWEST]] {axis = 0 : i64}
// The weight the same way, then the matmul on both.
// CHECK: kiln.cast %{{.*}} : tensor<3x2xf32> to tensor<3x2xf8E4M3FN>
// CHECK: %[[Y:.*]] = kiln.matmul %[[XQ]], %{{.*}}
// E5M2 on the gradient only.
// CHECK: %[[E5:.*]] = kiln.cast %[[Y]] : tensor<4x2xf32> to tensor<4x2xf8E5M2>
// CHECK: %[[E:.*]] = kiln.cast %[[E5]] : tensor<4x2xf8E5M2> to tensor<4x2xf32>
// CHECK: %[[HELD:.*]] = kiln.stop_gradient %[[Y]]
// CHECK: %[[ESG:.*]] = kiln.stop_gradient %[[E]]
// CHECK: %[[E2:.*]] = kiln.cast %[[E5]] {kiln.recomputed = {{[0-9]+}} : i64} : tensor<4x2xf8E5M2> to tensor<4x2xf32>
// CHECK: %[[ZERO:.*]] = kiln.sub %[[E2]], %[[ESG]]
// CHECK: %[[OUT:.*]] = kiln.add %[[HELD]], %[[ZERO]]
// CHECK: kiln.sub %[[OUT]], %arg1
// The backward pass: the incoming gradient rounded to E5M2.
// CHECK: kiln.cast %{{.*}} : tensor<4x2xf32> to tensor<4x2xf8E5M2>
// A skipped step (loss scaling) keeps the old history too.
// CHECK: kiln.select %{{.*}}, %[[HIST]], %arg3 : tensor<4xi1>, tensor<4xf32>
// CHECK: return
// CHECK-LABEL: func.func @main_init()
// CHECK-DAG: kiln.constant dense<0.000000e+00> : tensor<4xf32>
// CHECK-DAG: kiln.constant dense<6.553600e+04> : tensor<f32>

// 448 / 2^2 = 112.
// MARGIN: kiln.constant dense<1.120000e+02> : tensor<f32>
// REMARK: remark: kiln-quantize: mode=fp8 contractions=1 e4m3_operands=2 e5m2_gradients=1 amax_history=16 loss_scaling=dynamic
// BAD: error: kiln-quantize: fp8 needs amax-history >= 1 and margin >= 0
