// kiln-quantize on its own, on a training step that still holds its
// kiln.gradient request (what kiln-make-train-step builds before autodiff;
// its loss ops are located at "loss", which keeps them f32).
// allow=matmul: only the matmul computes in bf16; tanh and add stay f32.
// RUN: kiln-opt %s --kiln-quantize="mode=bf16 allow=matmul" | FileCheck %s
// deny=tanh removes one kind from the default list.
// RUN: kiln-opt %s --kiln-quantize="mode=bf16 deny=tanh" | FileCheck %s --check-prefix=DENY
// A static loss scale: S stays, overflowing steps are still skipped.
// RUN: kiln-opt %s --kiln-quantize="mode=f16 loss-scale=1024 dynamic-loss-scale=false" | FileCheck %s --check-prefix=STATIC
// bf16 with an explicit loss scale.
// RUN: kiln-opt %s --kiln-quantize="mode=bf16 loss-scale=8" | FileCheck %s --check-prefix=BFSCALED
// Loss scaling is the same for any mode: qat-int8 with loss-scale=128.
// RUN: kiln-opt %s --kiln-quantize="mode=qat-int8 loss-scale=128" | FileCheck %s --check-prefix=QATSCALED
// The report names a static scale as such.
// RUN: kiln-opt %s --kiln-quantize="mode=f16 dynamic-loss-scale=false" 2>&1 >/dev/null | FileCheck %s --check-prefix=STATICREMARK

module {
  func.func @main(%arg0: tensor<4x3xf32> {kiln.onnx_name = "x"}, %arg1: tensor<4x2xf32> {kiln.onnx_name = "label"}, %arg2: tensor<3x2xf32> {kiln.onnx_name = "W"}, %arg3: tensor<2xf32> {kiln.onnx_name = "b"}) -> (tensor<f32> {kiln.onnx_name = "loss"}, tensor<3x2xf32> {kiln.onnx_name = "W_new"}, tensor<2xf32> {kiln.onnx_name = "b_new"}) attributes {kiln.init_function = @main_init, kiln.update_binding = {W = "W_new", b = "b_new"}} {
    %0 = kiln.tanh %arg0 : tensor<4x3xf32>
    %1 = kiln.matmul %0, %arg2 : tensor<4x3xf32>, tensor<3x2xf32> -> tensor<4x2xf32>
    %2 = kiln.broadcast %arg3 : tensor<2xf32> to tensor<4x2xf32>
    %3 = kiln.add %1, %2 : tensor<4x2xf32>
    %4 = kiln.sub %3, %arg1 : tensor<4x2xf32> loc("loss")
    %5 = kiln.mul %4, %4 : tensor<4x2xf32> loc("loss")
    %6 = kiln.reduce_mean %5 {axes = array<i64: 0, 1>, keep_dims = false} : tensor<4x2xf32> -> tensor<f32> loc("loss")
    %7:2 = kiln.gradient %6 wrt %arg2, %arg3 : tensor<f32> wrt tensor<3x2xf32>, tensor<2xf32>
    %8 = kiln.constant dense<1.000000e-01> : tensor<f32>
    %9 = kiln.broadcast %8 : tensor<f32> to tensor<3x2xf32>
    %10 = kiln.mul %9, %7#0 : tensor<3x2xf32>
    %11 = kiln.sub %arg2, %10 : tensor<3x2xf32>
    %12 = kiln.broadcast %8 : tensor<f32> to tensor<2xf32>
    %13 = kiln.mul %12, %7#1 : tensor<2xf32>
    %14 = kiln.sub %arg3, %13 : tensor<2xf32>
    return %6, %11, %14 : tensor<f32>, tensor<3x2xf32>, tensor<2xf32>
  }
  func.func @main_init() -> (tensor<3x2xf32> {kiln.onnx_name = "W"}, tensor<2xf32> {kiln.onnx_name = "b"}) {
    %0 = kiln.constant {kiln.onnx_name = "W"} dense<5.000000e-01> : tensor<3x2xf32>
    %1 = kiln.constant {kiln.onnx_name = "b"} dense<[1.000000e-01, -1.000000e-01]> : tensor<2xf32>
    return %0, %1 : tensor<3x2xf32>, tensor<2xf32>
  }
}

// CHECK-LABEL: func.func @main(
// CHECK-NOT: kiln.gradient
// CHECK: %[[H:.*]] = kiln.tanh %arg0 : tensor<4x3xf32>
// CHECK: %[[H0:.*]] = kiln.cast %[[H]] : tensor<4x3xf32> to tensor<4x3xbf16>
// CHECK: %[[H1:.*]] = kiln.cast %[[H0]] : tensor<4x3xbf16> to tensor<4x3xf32>
// CHECK: %[[W0:.*]] = kiln.cast %arg2 : tensor<3x2xf32> to tensor<3x2xbf16>
// CHECK: %[[W1:.*]] = kiln.cast %[[W0]] : tensor<3x2xbf16> to tensor<3x2xf32>
// CHECK: %[[Y:.*]] = kiln.matmul %[[H1]], %[[W1]]
// CHECK: %[[Y0:.*]] = kiln.cast %[[Y]] : tensor<4x2xf32> to tensor<4x2xbf16>
// CHECK: %[[Y1:.*]] = kiln.cast %[[Y0]] : tensor<4x2xbf16> to tensor<4x2xf32>
// CHECK: %[[B:.*]] = kiln.broadcast %arg3 : tensor<2xf32> to tensor<4x2xf32>
// CHECK: %[[Z:.*]] = kiln.add %[[Y1]], %[[B]] : tensor<4x2xf32>
// CHECK: kiln.sub %[[Z]], %arg1 : tensor<4x2xf32>
// CHECK-LABEL: func.func @main_init

// DENY-LABEL: func.func @main(
// DENY: %[[H:.*]] = kiln.tanh %arg0 : tensor<4x3xf32>
// DENY: kiln.cast %[[H]] : tensor<4x3xf32> to tensor<4x3xbf16>
// DENY: kiln.matmul
// DENY: %[[B:.*]] = kiln.broadcast
// DENY: kiln.cast %[[B]] : tensor<4x2xf32> to tensor<4x2xbf16>

// STATIC-LABEL: func.func @main(
// STATIC-SAME: %arg4: tensor<f32> {kiln.onnx_name = "loss_scale"}, %arg5: tensor<f32> {kiln.onnx_name = "loss_scale_good_steps"}
// STATIC: kiln.cast {{.*}} to tensor<4x3xf16>
// STATIC: %[[FINITE:.*]] = kiln.compare eq
// STATIC: kiln.select
// STATIC-NOT: kiln.compare ge
// STATIC: %[[SKIPPED:.*]] = kiln.select %[[FINITE]], %{{.*}}, %{{.*}} : tensor<i1>, tensor<f32>
// STATIC: return %{{.*}}, %{{.*}}, %{{.*}}, %arg4, %arg5, %[[SKIPPED]], %arg4
// STATIC-LABEL: func.func @main_init
// STATIC: kiln.constant dense<1.024000e+03> : tensor<f32>

// BFSCALED-LABEL: func.func @main(
// BFSCALED-SAME: kiln.onnx_name = "loss_scale"
// BFSCALED: kiln.cast {{.*}} to tensor<4x3xbf16>
// BFSCALED-LABEL: func.func @main_init
// BFSCALED: kiln.constant dense<8.000000e+00> : tensor<f32>

// QATSCALED-LABEL: func.func @main(
// QATSCALED-SAME: kiln.onnx_name = "qat.amax_0"
// QATSCALED-SAME: kiln.onnx_name = "loss_scale"
// QATSCALED-LABEL: func.func @main_init
// QATSCALED: kiln.constant dense<1.280000e+02> : tensor<f32>

// STATICREMARK: remark: kiln-quantize: mode=f16 {{.*}} loss_scaling=static
