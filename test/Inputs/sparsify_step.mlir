// A training step that still holds its kiln.gradient request (what
// kiln-make-train-step builds before autodiff), input of the kiln-sparsify
// tests: W0 [8x4] is a matmul's rhs, W1 [4x8] is read through a transpose
// (a Gemm with transB), b0 is a bias (never pruned); SGD with lr 0.1.
module {
  func.func @main(%x: tensor<2x8xf32> {kiln.onnx_name = "x"}, %label: tensor<2x8xf32> {kiln.onnx_name = "label"}, %w0: tensor<8x4xf32> {kiln.onnx_name = "W0"}, %b0: tensor<4xf32> {kiln.onnx_name = "b0"}, %w1: tensor<8x4xf32> {kiln.onnx_name = "W1"}) -> (tensor<f32> {kiln.onnx_name = "loss"}, tensor<8x4xf32> {kiln.onnx_name = "W0_new"}, tensor<4xf32> {kiln.onnx_name = "b0_new"}, tensor<8x4xf32> {kiln.onnx_name = "W1_new"}) attributes {kiln.init_function = @main_init, kiln.update_binding = {W0 = "W0_new", b0 = "b0_new", W1 = "W1_new"}} {
    %m = kiln.matmul %x, %w0 : tensor<2x8xf32>, tensor<8x4xf32> -> tensor<2x4xf32>
    %bb = kiln.broadcast %b0 : tensor<4xf32> to tensor<2x4xf32>
    %h = kiln.add %m, %bb : tensor<2x4xf32>
    %r = kiln.relu %h : tensor<2x4xf32>
    %w1t = kiln.transpose %w1 {permutation = array<i64: 1, 0>} : tensor<8x4xf32> -> tensor<4x8xf32>
    %y = kiln.matmul %r, %w1t : tensor<2x4xf32>, tensor<4x8xf32> -> tensor<2x8xf32>
    %d = kiln.sub %y, %label : tensor<2x8xf32>
    %sq = kiln.mul %d, %d : tensor<2x8xf32>
    %loss = kiln.reduce_mean %sq {axes = array<i64: 0, 1>, keep_dims = false} : tensor<2x8xf32> -> tensor<f32>
    %g:3 = kiln.gradient %loss wrt %w0, %b0, %w1 : tensor<f32> wrt tensor<8x4xf32>, tensor<4xf32>, tensor<8x4xf32>
    %lr = kiln.constant dense<1.000000e-01> : tensor<f32>
    %lr0 = kiln.broadcast %lr : tensor<f32> to tensor<8x4xf32>
    %s0 = kiln.mul %lr0, %g#0 : tensor<8x4xf32>
    %n0 = kiln.sub %w0, %s0 : tensor<8x4xf32>
    %lrb = kiln.broadcast %lr : tensor<f32> to tensor<4xf32>
    %sb = kiln.mul %lrb, %g#1 : tensor<4xf32>
    %nb = kiln.sub %b0, %sb : tensor<4xf32>
    %s1 = kiln.mul %lr0, %g#2 : tensor<8x4xf32>
    %n1 = kiln.sub %w1, %s1 : tensor<8x4xf32>
    return %loss, %n0, %nb, %n1 : tensor<f32>, tensor<8x4xf32>, tensor<4xf32>, tensor<8x4xf32>
  }
  func.func @main_init() -> (tensor<8x4xf32> {kiln.onnx_name = "W0"}, tensor<4xf32> {kiln.onnx_name = "b0"}, tensor<8x4xf32> {kiln.onnx_name = "W1"}) {
    %0 = kiln.constant {kiln.onnx_name = "W0"} dense<5.000000e-01> : tensor<8x4xf32>
    %1 = kiln.constant {kiln.onnx_name = "b0"} dense<0.000000e+00> : tensor<4xf32>
    %2 = kiln.constant {kiln.onnx_name = "W1"} dense<2.500000e-01> : tensor<8x4xf32>
    return %0, %1, %2 : tensor<8x4xf32>, tensor<4xf32>, tensor<8x4xf32>
  }
}
