// kiln-quantize mode=qat-int8 on a training step that still holds its
// kiln.gradient request: the matmul reads fake-quantized int8 operands,
// each as x + stop_gradient(q - x) (straight-through gradient).
//  - The activation (tanh's result) per tensor: an observer keeps a moving
//    average of max|x| as new state qat.amax_0 (0 at first, which takes
//    max|x| itself), scale = amax / 127, levels clamped to [-128, 127].
//  - The weight per output channel (the matmul's last dim): scale =
//    max|W[:, c]| / 127.
// RUN: kiln-opt %s --kiln-quantize="mode=qat-int8" | FileCheck %s
// RUN: kiln-opt %s --kiln-quantize="mode=qat-int8 observer-decay=0.9" 2>&1 >/dev/null | FileCheck %s --check-prefix=REMARK
// RUN: kiln-opt %s --kiln-quantize="mode=qat-int8 observer-decay=0.9" | FileCheck %s --check-prefix=DECAY

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
// CHECK-SAME: %arg3: tensor<f32> {kiln.onnx_name = "qat.amax_0"}
// CHECK-SAME: tensor<f32> {kiln.onnx_name = "qat.amax_0_new"}
// CHECK-SAME: kiln.update_binding = {W = "W_new", qat.amax_0 = "qat.amax_0_new"}
// CHECK-NOT: kiln.gradient
// The observer.
// CHECK: %[[H:.*]] = kiln.tanh %arg0
// CHECK: %[[AH:.*]] = kiln.abs %[[H]]
// CHECK: %[[MAX:.*]] = kiln.reduce_max %[[AH]] {axes = array<i64: 0, 1>, keep_dims = false}
// CHECK: %[[NEW:.*]] = kiln.mul %[[MAX]], %{{.*}} : tensor<f32>
// CHECK: %[[OLD:.*]] = kiln.mul %arg3, %{{.*}} : tensor<f32>
// CHECK: %[[EMA:.*]] = kiln.add %[[OLD]], %[[NEW]]
// CHECK: %[[FIRST:.*]] = kiln.compare eq, %arg3, %{{.*}} : tensor<f32>
// CHECK: %[[SEL:.*]] = kiln.select %[[FIRST]], %[[MAX]], %[[EMA]]
// CHECK: %[[OBS:.*]] = kiln.stop_gradient %[[SEL]] : tensor<f32>
// Activation fake quantization with the straight-through gradient.
// CHECK: %[[S:.*]] = kiln.div %{{.*}}, %{{.*}} : tensor<f32>
// CHECK: %[[SB:.*]] = kiln.broadcast %[[S]] : tensor<f32> to tensor<4x3xf32>
// CHECK: %[[L:.*]] = kiln.round %{{.*}} : tensor<4x3xf32>
// CHECK: kiln.constant dense<-1.280000e+02> : tensor<4x3xf32>
// CHECK: kiln.constant dense<1.270000e+02> : tensor<4x3xf32>
// CHECK: %[[QH:.*]] = kiln.mul %{{.*}}, %[[SB]] : tensor<4x3xf32>
// CHECK: %[[DH:.*]] = kiln.sub %[[QH]], %[[H]]
// CHECK: %[[SGH:.*]] = kiln.stop_gradient %[[DH]]
// CHECK: %[[XH:.*]] = kiln.add %[[H]], %[[SGH]]
// Weight fake quantization, one scale per output channel.
// CHECK: %[[AW:.*]] = kiln.abs %arg2
// CHECK: kiln.reduce_max %[[AW]] {axes = array<i64: 0>, keep_dims = true} : tensor<3x2xf32> -> tensor<1x2xf32>
// CHECK: %[[XW:.*]] = kiln.add %arg2, %{{.*}} : tensor<3x2xf32>
// CHECK: kiln.matmul %[[XH]], %[[XW]]
// The gradient passes straight through: the update's matmul reads the
// fake-quantized activation, and no gradient flows into the observer.
// CHECK: return %{{.*}}, %{{.*}}, %[[OBS]]
// CHECK-LABEL: func.func @main_init()
// CHECK: kiln.constant dense<0.000000e+00> : tensor<f32>

// REMARK: remark: kiln-quantize: mode=qat-int8 contractions=1 weights_per_channel=1 activations_observed=1
// DECAY: kiln.constant dense<1.000000e-01> : tensor<f32>
// DECAY: kiln.constant dense<0.899999{{[0-9]*}}> : tensor<f32>
