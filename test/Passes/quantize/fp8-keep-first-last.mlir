// kiln-quantize mode=fp8 leaves the first and the last forward contraction
// (program order) in f32 when there are at least three (keep-first-last,
// on by default): only the middle matmul of this three-layer MLP reads E4M3
// operands and has its gradient rounded to E5M2. keep-first-last=false
// makes all three FP8.
// RUN: kiln-opt %s --kiln-quantize="mode=fp8" 2>/dev/null | FileCheck %s
// RUN: kiln-opt %s --kiln-quantize="mode=fp8" 2>&1 >/dev/null | FileCheck %s --check-prefix=REMARK
// RUN: kiln-opt %s --kiln-quantize="mode=fp8 keep-first-last=false" 2>&1 | FileCheck %s --check-prefix=ALL

module {
  func.func @main(%x: tensor<4x3xf32> {kiln.onnx_name = "x"}, %label: tensor<4x2xf32> {kiln.onnx_name = "label"}, %w0: tensor<3x3xf32> {kiln.onnx_name = "W0"}, %w1: tensor<3x3xf32> {kiln.onnx_name = "W1"}, %w2: tensor<3x2xf32> {kiln.onnx_name = "W2"}) -> (tensor<f32> {kiln.onnx_name = "loss"}, tensor<3x3xf32> {kiln.onnx_name = "W0_new"}, tensor<3x3xf32> {kiln.onnx_name = "W1_new"}, tensor<3x2xf32> {kiln.onnx_name = "W2_new"}) attributes {kiln.init_function = @main_init, kiln.update_binding = {W0 = "W0_new", W1 = "W1_new", W2 = "W2_new"}} {
    %h0 = kiln.matmul %x, %w0 {first} : tensor<4x3xf32>, tensor<3x3xf32> -> tensor<4x3xf32>
    %a0 = kiln.tanh %h0 : tensor<4x3xf32>
    %h1 = kiln.matmul %a0, %w1 {middle} : tensor<4x3xf32>, tensor<3x3xf32> -> tensor<4x3xf32>
    %a1 = kiln.tanh %h1 : tensor<4x3xf32>
    %y = kiln.matmul %a1, %w2 {last} : tensor<4x3xf32>, tensor<3x2xf32> -> tensor<4x2xf32>
    %d = kiln.sub %y, %label : tensor<4x2xf32> loc("loss")
    %sq = kiln.mul %d, %d : tensor<4x2xf32> loc("loss")
    %loss = kiln.reduce_mean %sq {axes = array<i64: 0, 1>, keep_dims = false} : tensor<4x2xf32> -> tensor<f32> loc("loss")
    %g:3 = kiln.gradient %loss wrt %w0, %w1, %w2 : tensor<f32> wrt tensor<3x3xf32>, tensor<3x3xf32>, tensor<3x2xf32>
    %lr0 = kiln.constant dense<1.000000e-01> : tensor<3x3xf32>
    %lr2 = kiln.constant dense<1.000000e-01> : tensor<3x2xf32>
    %u0 = kiln.mul %lr0, %g#0 : tensor<3x3xf32>
    %u1 = kiln.mul %lr0, %g#1 : tensor<3x3xf32>
    %u2 = kiln.mul %lr2, %g#2 : tensor<3x2xf32>
    %n0 = kiln.sub %w0, %u0 : tensor<3x3xf32>
    %n1 = kiln.sub %w1, %u1 : tensor<3x3xf32>
    %n2 = kiln.sub %w2, %u2 : tensor<3x2xf32>
    return %loss, %n0, %n1, %n2 : tensor<f32>, tensor<3x3xf32>, tensor<3x3xf32>, tensor<3x2xf32>
  }
  func.func @main_init() -> (tensor<3x3xf32> {kiln.onnx_name = "W0"}, tensor<3x3xf32> {kiln.onnx_name = "W1"}, tensor<3x2xf32> {kiln.onnx_name = "W2"}) {
    %0 = kiln.constant {kiln.onnx_name = "W0"} dense<5.000000e-01> : tensor<3x3xf32>
    %1 = kiln.constant {kiln.onnx_name = "W1"} dense<2.500000e-01> : tensor<3x3xf32>
    %2 = kiln.constant {kiln.onnx_name = "W2"} dense<1.250000e-01> : tensor<3x2xf32>
    return %0, %1, %2 : tensor<3x3xf32>, tensor<3x3xf32>, tensor<3x2xf32>
  }
}

// REMARK: remark: kiln-quantize: mode=fp8 contractions=1 kept_f32=2 e4m3_operands=2 e5m2_gradients=1 scaled_gradients=1
// Two operand histories and one gradient history: the middle matmul's.
// CHECK-LABEL: func.func @main(
// CHECK-SAME: {kiln.onnx_name = "fp8.amax_0"}, %{{.*}}: tensor<16xf32> {kiln.onnx_name = "fp8.amax_1"}, %{{.*}}: tensor<16xf32> {kiln.onnx_name = "fp8.grad_amax_0"})
// The first matmul reads x and W0 as they are ...
// CHECK: %[[H0:.*]] = kiln.matmul %arg0, %arg2 {first}
// CHECK: %[[A0:.*]] = kiln.tanh %[[H0]]
// ... the middle one E4M3 operands ...
// CHECK: kiln.cast %{{.*}} : tensor<4x3xf32> to tensor<4x3xf8E4M3FN>
// CHECK: kiln.cast %{{.*}} : tensor<3x3xf32> to tensor<3x3xf8E4M3FN>
// CHECK: %[[H1:.*]] = kiln.matmul %{{.*}}, %{{.*}} {middle}
// CHECK: kiln.cast %{{.*}} : tensor<4x3xf32> to tensor<4x3xf8E5M2>
// ... and the last one the tanh and W2 as they are.
// CHECK: %[[A1:.*]] = kiln.tanh
// CHECK: kiln.matmul %[[A1]], %arg4 {last}
// CHECK-NOT: f8E4M3FN
// CHECK-LABEL: func.func @main_init()

// ALL: remark: kiln-quantize: mode=fp8 contractions=3 kept_f32=0 e4m3_operands=6 e5m2_gradients=3 scaled_gradients=3
// ALL: kiln.matmul %{{.*}}, %{{.*}} {first}
// ALL: kiln.matmul %{{.*}}, %{{.*}} {middle}
// ALL: kiln.matmul %{{.*}}, %{{.*}} {last}
