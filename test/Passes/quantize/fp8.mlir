// kiln-quantize mode=fp8 on a training step that still holds its
// kiln.gradient request (emulated through MLIR's f8 types; kiln-cpu-expand-
// float8 lowers the casts on the CPU).
//  - Each matmul operand is rounded to E4M3 with a delayed per-tensor
//    scale: s = 448 / max(amax history) (this step's max|x| while the
//    history is zero),
//    q = e4m3(x * s) / s, as x + stop_gradient(q - x); the history state
//    fp8.amax_K rolls in this step's max|x|.
//  - The gradient g reaching the matmul result is rounded to E5M2 with its
//    own delayed scale: the result becomes stop_gradient(y) + (e -
//    stop_gradient(e)), e = e5m2(y / s) * s, so the backward pass computes
//    e5m2(g * s) / s; after autodiff its reads of s are rewired to
//    57344 / max(fp8.grad_amax_0) (this step's max|g| while that history
//    is zero), and max|g| (0 if not finite) rolls into the history.
//  - No loss scaling (loss-scale=S adds it).
// RUN: kiln-opt %s --kiln-quantize="mode=fp8 amax-history=4" | FileCheck %s
// RUN: kiln-opt %s --kiln-quantize="mode=fp8 margin=2" | FileCheck %s --check-prefix=MARGIN
// RUN: kiln-opt %s --kiln-quantize="mode=fp8" 2>&1 >/dev/null | FileCheck %s --check-prefix=REMARK
// RUN: not kiln-opt %s --kiln-quantize="mode=fp8 amax-history=0" 2>&1 | FileCheck %s --check-prefix=BAD
// With loss-scale=S a skipped step keeps the gradient history as well.
// RUN: kiln-opt %s --kiln-quantize="mode=fp8 amax-history=4 loss-scale=1024" 2>/dev/null | FileCheck %s --check-prefix=SCALED

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
// CHECK-SAME: %arg3: tensor<4xf32> {kiln.onnx_name = "fp8.amax_0"}, %arg4: tensor<4xf32> {kiln.onnx_name = "fp8.amax_1"}, %arg5: tensor<4xf32> {kiln.onnx_name = "fp8.grad_amax_0"})
// CHECK-SAME: kiln.update_binding = {W = "W_new", fp8.amax_0 = "fp8.amax_0_new", fp8.amax_1 = "fp8.amax_1_new", fp8.grad_amax_0 = "fp8.grad_amax_0_new"}
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
// The result: its gradient history's scale (no gradient yet), e =
// e5m2(y / s) * s, and stop_gradient(y) + (e - stop_gradient(e)).
// CHECK: kiln.reduce_max %arg5
// CHECK: %[[GT:.*]] = kiln.constant dense<5.734400e+04> : tensor<f32>
// CHECK: %[[FS:.*]] = kiln.div %[[GT]], %{{.*}} : tensor<f32>
// CHECK: %[[FSB:.*]] = kiln.broadcast %[[FS]] : tensor<f32> to tensor<4x2xf32>
// CHECK: %[[DOWN:.*]] = kiln.div %[[Y]], %[[FSB]]
// CHECK: %[[E5:.*]] = kiln.cast %[[DOWN]] : tensor<4x2xf32> to tensor<4x2xf8E5M2>
// CHECK: %[[E5F:.*]] = kiln.cast %[[E5]] : tensor<4x2xf8E5M2> to tensor<4x2xf32>
// CHECK: %[[E:.*]] = kiln.mul %[[E5F]], %[[FSB]]
// CHECK: %[[HELD:.*]] = kiln.stop_gradient %[[Y]]
// CHECK: %[[ESG:.*]] = kiln.stop_gradient %[[E]]
// CHECK: %[[ZERO:.*]] = kiln.sub %[[E]], %[[ESG]]
// CHECK: %[[OUT:.*]] = kiln.add %[[HELD]], %[[ZERO]]
// CHECK: %[[DIFF:.*]] = kiln.sub %[[OUT]], %arg1
// The backward pass: g's max (0 unless finite) ...
// CHECK: %[[G:.*]] = kiln.add %{{.*}}, %{{.*}} : tensor<4x2xf32>
// CHECK: %[[AG:.*]] = kiln.abs %[[G]]
// CHECK: %[[GMAX:.*]] = kiln.reduce_max %[[AG]]
// CHECK: %[[FIN:.*]] = kiln.compare lt, %[[GMAX]], %{{.*}} : tensor<f32>
// CHECK: %[[SEENG:.*]] = kiln.select %[[FIN]], %[[GMAX]], %{{.*}} : tensor<i1>, tensor<f32>
// ... the delayed scale, with max|g| as the first step's range ...
// CHECK: %[[GPAST:.*]] = kiln.reduce_max %arg5
// CHECK: %[[GSEEN:.*]] = kiln.compare gt, %[[GPAST]]
// CHECK: %[[GRANGE:.*]] = kiln.select %[[GSEEN]], %[[GPAST]], %[[SEENG]]
// CHECK: kiln.constant dense<5.734400e+04> : tensor<f32>
// CHECK: %[[GS:.*]] = kiln.div %{{.*}}, %{{.*}} : tensor<f32>
// CHECK: %[[GSB:.*]] = kiln.broadcast %[[GS]] : tensor<f32> to tensor<4x2xf32>
// ... the history rolling in max|g| ...
// CHECK: %[[GNEW:.*]] = kiln.reshape %[[SEENG]] : tensor<f32> to tensor<1xf32>
// CHECK: %[[GKEPT:.*]] = kiln.slice %arg5
// CHECK: %[[GHIST:.*]] = kiln.concat %[[GKEPT]], %[[GNEW]]
// ... and e5m2(g * s) / s flowing on to the matmul's gradient.
// CHECK: %[[GS8:.*]] = kiln.mul %[[G]], %[[GSB]]
// CHECK: %[[G8:.*]] = kiln.cast %[[GS8]] : tensor<4x2xf32> to tensor<4x2xf8E5M2>
// CHECK: %[[G8F:.*]] = kiln.cast %[[G8]] : tensor<4x2xf8E5M2> to tensor<4x2xf32>
// CHECK: %[[GQ:.*]] = kiln.div %[[G8F]], %[[GSB]]
// CHECK: kiln.matmul %{{.*}}, %[[GQ]]
// CHECK: return {{.*}}, %[[HIST]], %{{.*}}, %[[GHIST]] :
// CHECK-LABEL: func.func @main_init()
// CHECK-COUNT-3: kiln.constant dense<0.000000e+00> : tensor<4xf32>

// 448 / 2^2 = 112 for the operands.
// MARGIN: kiln.constant dense<1.120000e+02> : tensor<f32>
// 57344 / 2^2 = 14336 for the gradient.
// MARGIN: kiln.constant dense<1.433600e+04> : tensor<f32>
// REMARK: remark: kiln-quantize: mode=fp8 contractions=1 kept_f32=0 e4m3_operands=2 e5m2_gradients=1 scaled_gradients=1 amax_history=16 loss_scaling=none
// BAD: error: kiln-quantize: fp8 needs amax-history >= 1 and margin >= 0
// The history's next value is the old one unless the step was applied
// (skipped == 0); the skip flag is the step's "skipped" result.
// SCALED: %[[KEEP:.*]] = kiln.select %{{.*}}, %{{.*}}, %arg5 : tensor<4xi1>, tensor<4xf32>
// SCALED-NEXT: return {{.*}}, %[[SKIPPED:[0-9]+]], %arg6, %[[KEEP]] :
