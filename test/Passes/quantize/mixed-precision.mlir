// kiln-quantize (run by kiln-make-train-step's quantize= option in place of
// kiln-autodiff) on the training step of the small model below.
//
// bf16: each allowed forward op computes on operands rounded to bf16 and
// rounds its results (kiln.cast to bf16 and back); the weights stay f32
// arguments, the matmul reads rounded copies of them and accumulates in
// f32. The loss (make-train-step's ops located at "loss") stays f32 and
// reads the label unrounded. Autodiff then rounds the gradients at the same
// points, and each reader of a rounded value gets its own widening cast.
// RUN: kiln-opt %s --kiln-make-train-step="loss=mse optimizer=sgd lr=0.1 quantize=bf16" 2>/dev/null \
// RUN:   | FileCheck %s --check-prefix=BF16
// f16: dynamic loss scaling with step skipping, as new training-step state.
// RUN: kiln-opt %s --kiln-make-train-step="loss=mse optimizer=sgd lr=0.1 quantize=f16" 2>/dev/null \
// RUN:   | FileCheck %s --check-prefix=F16
// The report: ops rounded, bytes of weights, activations and optimizer state.
// RUN: kiln-opt %s --kiln-make-train-step="loss=mse optimizer=adam quantize=bf16" 2>&1 >/dev/null \
// RUN:   | FileCheck %s --check-prefix=REMARK

func.func @main(%x: tensor<4x3xf32> {kiln.onnx_name = "x"})
    -> (tensor<4x2xf32> {kiln.onnx_name = "logits"}) {
  %w = kiln.constant {kiln.onnx_name = "W"} dense<0.5> : tensor<3x2xf32>
  %b = kiln.constant {kiln.onnx_name = "b"} dense<[0.1, -0.1]> : tensor<2xf32>
  %h = kiln.tanh %x : tensor<4x3xf32>
  %y = kiln.matmul %h, %w : tensor<4x3xf32>, tensor<3x2xf32> -> tensor<4x2xf32>
  %bb = kiln.broadcast %b : tensor<2xf32> to tensor<4x2xf32>
  %z = kiln.add %y, %bb : tensor<4x2xf32>
  return %z : tensor<4x2xf32>
}

// BF16-LABEL: func.func @main(
// BF16-SAME: %arg2: tensor<3x2xf32> {kiln.onnx_name = "W"}
// BF16-NOT: kiln.gradient
// BF16: %[[X0:.*]] = kiln.cast %arg0 : tensor<4x3xf32> to tensor<4x3xbf16>
// BF16: %[[X1:.*]] = kiln.cast %[[X0]] : tensor<4x3xbf16> to tensor<4x3xf32>
// BF16: %[[H:.*]] = kiln.tanh %[[X1]]
// BF16: %[[H0:.*]] = kiln.cast %[[H]] : tensor<4x3xf32> to tensor<4x3xbf16>
// BF16: %[[H1:.*]] = kiln.cast %[[H0]] : tensor<4x3xbf16> to tensor<4x3xf32>
// BF16: %[[W0:.*]] = kiln.cast %arg2 : tensor<3x2xf32> to tensor<3x2xbf16>
// BF16: %[[W1:.*]] = kiln.cast %[[W0]] : tensor<3x2xbf16> to tensor<3x2xf32>
// BF16: %[[Y:.*]] = kiln.matmul %[[H1]], %[[W1]] : tensor<4x3xf32>, tensor<3x2xf32> -> tensor<4x2xf32>
// BF16: %[[Y0:.*]] = kiln.cast %[[Y]] : tensor<4x2xf32> to tensor<4x2xbf16>
// BF16: %[[Y1:.*]] = kiln.cast %[[Y0]] : tensor<4x2xbf16> to tensor<4x2xf32>
// BF16: %[[Z:.*]] = kiln.add %[[Y1]], %{{.*}} : tensor<4x2xf32>
// BF16: %[[Z0:.*]] = kiln.cast %[[Z]] : tensor<4x2xf32> to tensor<4x2xbf16>
// BF16: %[[Z1:.*]] = kiln.cast %[[Z0]] : tensor<4x2xbf16> to tensor<4x2xf32>
// The loss is f32 and reads the label as it is.
// BF16: %[[D:.*]] = kiln.sub %[[Z1]], %arg1 : tensor<4x2xf32>
// BF16: kiln.mul %[[D]], %[[D]] : tensor<4x2xf32>
// BF16: kiln.reduce_mean
// The backward matmul of the weight gradient reads its own upcast of the
// saved bf16 activation (a recomputed copy, which CSE keeps apart).
// BF16: kiln.cast %[[H0]] {kiln.recomputed = {{[0-9]+}} : i64} : tensor<4x3xbf16> to tensor<4x3xf32>
// The optimizer update is f32 on the f32 weight.
// BF16: %[[NEWW:.*]] = kiln.sub %arg2, %{{.*}} : tensor<3x2xf32>
// BF16: return %{{.*}}, %[[NEWW]], %{{.*}} : tensor<f32>, tensor<3x2xf32>, tensor<2xf32>

// F16-LABEL: func.func @main(
// F16-SAME: %arg4: tensor<f32> {kiln.onnx_name = "loss_scale"}, %arg5: tensor<f32> {kiln.onnx_name = "loss_scale_good_steps"}
// F16-SAME: tensor<f32> {kiln.onnx_name = "loss_scale_new"}, tensor<f32> {kiln.onnx_name = "loss_scale_good_steps_new"}, tensor<f32> {kiln.onnx_name = "skipped"}, tensor<f32> {kiln.onnx_name = "loss_scale_used"}
// F16-SAME: kiln.update_binding = {W = "W_new", b = "b_new", loss_scale = "loss_scale_new", loss_scale_good_steps = "loss_scale_good_steps_new"}
// F16: kiln.cast %{{.*}} : tensor<4x3xf32> to tensor<4x3xf16>
// The request differentiated loss * S.
// F16: %[[LOSS:.*]] = kiln.reduce_mean
// F16: kiln.mul %[[LOSS]], %arg4 : tensor<f32>
// Gradients are divided by S; g - g summed is NaN for any inf or NaN.
// F16: %[[INV:.*]] = kiln.div %[[ONE:.*]], %arg4 : tensor<f32>
// F16: kiln.mul %{{.*}}, %{{.*}} : tensor<3x2xf32>
// F16: %[[DW:.*]] = kiln.sub %{{.*}}, %{{.*}} : tensor<3x2xf32>
// F16: kiln.reduce_sum %[[DW]] {axes = array<i64: 0, 1>, keep_dims = false}
// F16: %[[FINITE:.*]] = kiln.compare eq, %{{.*}}, %[[ZERO:.*]] : tensor<f32>
// A skipped step keeps the old weight.
// F16: %[[KEEP:.*]] = kiln.broadcast %[[FINITE]] : tensor<i1> to tensor<3x2xi1>
// F16: %[[W:.*]] = kiln.select %[[KEEP]], %{{.*}}, %arg2 : tensor<3x2xi1>, tensor<3x2xf32>
// S halves on overflow, doubles after growth-interval clean steps.
// F16: %[[HALF:.*]] = kiln.mul %arg4, %{{.*}} : tensor<f32>
// F16: %[[TWICE:.*]] = kiln.mul %arg4, %{{.*}} : tensor<f32>
// F16: %[[GOOD:.*]] = kiln.add %arg5, %[[ONE]] : tensor<f32>
// F16: %[[GROW:.*]] = kiln.compare ge, %[[GOOD]], %{{.*}} : tensor<f32>
// F16: %[[CLEAN:.*]] = kiln.select %[[GROW]], %[[TWICE]], %arg4
// F16: %[[CLEANGOOD:.*]] = kiln.select %[[GROW]], %[[ZERO]], %[[GOOD]]
// F16: %[[S:.*]] = kiln.select %[[FINITE]], %[[CLEAN]], %[[HALF]]
// F16: %[[G:.*]] = kiln.select %[[FINITE]], %[[CLEANGOOD]], %[[ZERO]]
// F16: %[[SKIPPED:.*]] = kiln.select %[[FINITE]], %[[ZERO]], %[[ONE]]
// F16: return %[[LOSS]], %[[W]], %{{.*}}, %[[S]], %[[G]], %[[SKIPPED]], %arg4
// F16-LABEL: func.func @main_init()
// F16-DAG: kiln.constant dense<6.553600e+04> : tensor<f32>
// F16-DAG: kiln.constant dense<0.000000e+00> : tensor<f32>

// By hand: weights W 3x2 and b 2, 8 floats = 32 bytes; Adam's state V and
// H of each (64) and the i64 step count (8) = 72. Activations: tanh 4x3
// (48), matmul, broadcast, add, the loss's sub and mul 4x2 (5 x 32) and its
// mean (4) = 212 bytes; tanh, matmul, broadcast and add are stored in bf16
// (24 + 3 x 16), the loss stays f32 (68): 140.
// REMARK: remark: kiln-quantize: mode=bf16 rounded_ops=4 rounded_operands=3 upcast_copies={{[0-9]+}} weight_bytes=32 activation_bytes=212->140 (-34.0%) optimizer_state_bytes=72 loss_scaling=none
