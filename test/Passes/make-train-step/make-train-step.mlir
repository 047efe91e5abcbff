// kiln-make-train-step turns the inference function below (before) into a
// training step (after): the named float constants W and b become
// arguments after the inputs and a new label, the loss is appended, the
// kiln.gradient request it makes is expanded by autodiff at once (none is
// left), the optimizer updates follow, and the state is fed back by name
// (kiln.update_binding) from @main_init.

// RUN: kiln-opt %s --kiln-make-train-step="loss=mse optimizer=momentum lr=0.1" 2>/dev/null | FileCheck %s --check-prefix=MOM
// RUN: kiln-opt %s --kiln-make-train-step="loss=cross-entropy optimizer=adam lr=1e-3" 2>/dev/null | FileCheck %s --check-prefix=ADAM
// RUN: kiln-opt %s --kiln-make-train-step="loss=nll optimizer=sgd lr=0.5 trainable=W" 2>/dev/null | FileCheck %s --check-prefix=SGD
// RUN: kiln-opt %s --kiln-make-train-step="loss=mse optimizer=adagrad weight-decay=0.01 output=hidden" 2>/dev/null | FileCheck %s --check-prefix=ADAGRAD
// The pass reports what it expanded (a remark from the autodiff it runs).
// RUN: kiln-opt %s --kiln-make-train-step 2>&1 >/dev/null | FileCheck %s --check-prefix=REMARK
// REMARK: remark: autodiff: 1 requests

func.func @main(%x: tensor<4x3xf32> {kiln.onnx_name = "x"})
    -> (tensor<4x2xf32> {kiln.onnx_name = "logits"},
        tensor<4x3xf32> {kiln.onnx_name = "hidden"}) {
  %w = kiln.constant {kiln.onnx_name = "W"} dense<0.5> : tensor<3x2xf32>
  %b = kiln.constant {kiln.onnx_name = "b"} dense<[0.1, -0.1]> : tensor<2xf32>
  %h = kiln.tanh %x : tensor<4x3xf32>
  %y = kiln.matmul %h, %w : tensor<4x3xf32>, tensor<3x2xf32> -> tensor<4x2xf32>
  %bb = kiln.broadcast %b : tensor<2xf32> to tensor<4x2xf32>
  %z = kiln.add %y, %bb : tensor<4x2xf32>
  return %z, %h : tensor<4x2xf32>, tensor<4x3xf32>
}

// MSE on the first output, momentum: state W.V, b.V and the step counter.
// MOM-LABEL: func.func @main(
// MOM-SAME: %arg0: tensor<4x3xf32> {kiln.onnx_name = "x"}, %arg1: tensor<4x2xf32> {kiln.onnx_name = "label"}, %arg2: tensor<3x2xf32> {kiln.onnx_name = "W"}, %arg3: tensor<2xf32> {kiln.onnx_name = "b"}, %arg4: tensor<3x2xf32> {kiln.onnx_name = "W.V"}, %arg5: tensor<2xf32> {kiln.onnx_name = "b.V"}, %arg6: tensor<i64> {kiln.onnx_name = "step_count"})
// MOM-SAME: -> (tensor<f32> {kiln.onnx_name = "loss"}, tensor<3x2xf32> {kiln.onnx_name = "W_new"}, tensor<2xf32> {kiln.onnx_name = "b_new"}, tensor<3x2xf32> {kiln.onnx_name = "W.V_new"}, tensor<2xf32> {kiln.onnx_name = "b.V_new"}, tensor<i64> {kiln.onnx_name = "step_count_new"})
// MOM-SAME: attributes {kiln.init_function = @main_init, kiln.update_binding = {W = "W_new", W.V = "W.V_new", b = "b_new", b.V = "b.V_new", step_count = "step_count_new"}}
// MOM-NOT: kiln.constant {kiln.onnx_name
// MOM-NOT: kiln.gradient
// The forward pass on the arguments, then the loss.
// MOM: %[[H:.*]] = kiln.tanh %arg0
// MOM: %[[Y:.*]] = kiln.matmul %[[H]], %arg2
// MOM: %[[Z:.*]] = kiln.add %[[Y]], %{{.*}} : tensor<4x2xf32>
// MOM: %[[D:.*]] = kiln.sub %[[Z]], %arg1 : tensor<4x2xf32>
// MOM: %[[SQ:.*]] = kiln.mul %[[D]], %[[D]]
// MOM: %[[LOSS:.*]] = kiln.reduce_mean %[[SQ]] {axes = array<i64: 0, 1>, keep_dims = false}
// The backward pass: dW = tanh(x)^T dZ.
// MOM: %[[HT:.*]] = kiln.transpose %[[H]] {permutation = array<i64: 1, 0>}
// MOM: %[[DW:.*]] = kiln.matmul %[[HT]], %{{.*}} : tensor<3x4xf32>, tensor<4x2xf32> -> tensor<3x2xf32>
// MOM: %[[T1:.*]] = kiln.add %arg6, %{{.*}} : tensor<i64>
// V_new = 0.9 V + dW, W_new = W - lr V_new (PyTorch's momentum, no dampening).
// MOM: %[[MU:.*]] = kiln.constant dense<0.899999976> : tensor<3x2xf32>
// MOM: %[[MV:.*]] = kiln.mul %[[MU]], %arg4
// MOM: %[[VW:.*]] = kiln.add %[[MV]], %[[DW]]
// MOM: %[[STEP:.*]] = kiln.mul %{{.*}}, %[[VW]]
// MOM: %[[WN:.*]] = kiln.sub %arg2, %[[STEP]]
// MOM: return %[[LOSS]], %[[WN]], %{{.*}}, %[[VW]], %{{.*}}, %[[T1]]
// MOM-LABEL: func.func @main_init() -> (tensor<3x2xf32> {kiln.onnx_name = "W"}, tensor<2xf32> {kiln.onnx_name = "b"}, tensor<3x2xf32> {kiln.onnx_name = "W.V"}, tensor<2xf32> {kiln.onnx_name = "b.V"}, tensor<i64> {kiln.onnx_name = "step_count"})
// MOM-DAG: %[[W0:.*]] = kiln.constant {kiln.onnx_name = "W"} dense<5.000000e-01> : tensor<3x2xf32>
// MOM-DAG: %[[B0:.*]] = kiln.constant {kiln.onnx_name = "b"} dense<[1.000000e-01, -1.000000e-01]> : tensor<2xf32>
// MOM-DAG: %[[V0:.*]] = kiln.constant dense<0.000000e+00> : tensor<3x2xf32>
// MOM-DAG: %[[S0:.*]] = kiln.constant dense<0> : tensor<i64>
// MOM: return %[[W0]], %[[B0]], %[[V0]], %{{.*}}, %[[S0]]

// Cross-entropy on logits with class labels [4] (int64); Adam keeps V and H
// per weight and is bias-corrected from the first step (it sees step + 1).
// ADAM-LABEL: func.func @main(
// ADAM-SAME: %arg1: tensor<4xi64> {kiln.onnx_name = "label"}
// ADAM-SAME: %arg4: tensor<3x2xf32> {kiln.onnx_name = "W.V"}, %arg5: tensor<2xf32> {kiln.onnx_name = "b.V"}, %arg6: tensor<3x2xf32> {kiln.onnx_name = "W.H"}, %arg7: tensor<2xf32> {kiln.onnx_name = "b.H"}, %arg8: tensor<i64> {kiln.onnx_name = "step_count"}
// ADAM-SAME: kiln.update_binding = {W = "W_new", W.H = "W.H_new", W.V = "W.V_new", b = "b_new", b.H = "b.H_new", b.V = "b.V_new", step_count = "step_count_new"}
// ADAM-NOT: kiln.gradient
// ADAM: kiln.log_softmax %{{.*}} {axis = 1 : i64} : tensor<4x2xf32>
// ADAM: %[[T1:.*]] = kiln.add %arg8, %{{.*}} : tensor<i64>
// ADAM: kiln.sqrt
// ADAM: kiln.compare gt, %[[T1]], %{{.*}} : tensor<i64>
// ADAM: return
// ADAM-LABEL: func.func @main_init()

// NLL with only W trainable: b stays a constant, SGD has no state.
// SGD-LABEL: func.func @main(%arg0: tensor<4x3xf32> {kiln.onnx_name = "x"}, %arg1: tensor<4xi64> {kiln.onnx_name = "label"}, %arg2: tensor<3x2xf32> {kiln.onnx_name = "W"}) -> (tensor<f32> {kiln.onnx_name = "loss"}, tensor<3x2xf32> {kiln.onnx_name = "W_new"}) attributes {kiln.init_function = @main_init, kiln.update_binding = {W = "W_new"}}
// SGD: kiln.constant {kiln.onnx_name = "b"}
// SGD-NOT: kiln.log_softmax
// SGD-NOT: kiln.gradient
// SGD: %[[LR:.*]] = kiln.constant dense<5.000000e-01> : tensor<f32>
// SGD: %[[LRB:.*]] = kiln.broadcast %[[LR]] : tensor<f32> to tensor<3x2xf32>
// SGD: %[[STEP:.*]] = kiln.mul %[[LRB]], %{{.*}} : tensor<3x2xf32>
// SGD: %[[WN:.*]] = kiln.sub %arg2, %[[STEP]]
// SGD: return %{{.*}}, %[[WN]] : tensor<f32>, tensor<3x2xf32>
// SGD-LABEL: func.func @main_init() -> (tensor<3x2xf32> {kiln.onnx_name = "W"})

// MSE on the second output: W and b do not reach it, so their gradients
// are zero; the first output and its ops are gone.
// ADAGRAD-LABEL: func.func @main(
// ADAGRAD-SAME: %arg1: tensor<4x3xf32> {kiln.onnx_name = "label"}
// ADAGRAD-SAME: %arg4: tensor<3x2xf32> {kiln.onnx_name = "W.H"}, %arg5: tensor<2xf32> {kiln.onnx_name = "b.H"}, %arg6: tensor<i64> {kiln.onnx_name = "step_count"}
// ADAGRAD-NOT: kiln.matmul %{{.*}}, %arg2
// ADAGRAD-NOT: kiln.gradient
// ADAGRAD: %[[ZERO:.*]] = kiln.constant dense<0.000000e+00> : tensor<3x2xf32>
// weight-decay adds 0.01 W to the (zero) gradient.
// ADAGRAD: %[[DECAY:.*]] = kiln.mul %{{.*}}, %arg2 : tensor<3x2xf32>
// ADAGRAD: %[[G:.*]] = kiln.add %[[DECAY]], %[[ZERO]]
// ADAGRAD: %[[G2:.*]] = kiln.mul %[[G]], %[[G]]
// ADAGRAD: %[[HN:.*]] = kiln.add %arg4, %[[G2]]
// ADAGRAD: kiln.sqrt %[[HN]]
// ADAGRAD: return
