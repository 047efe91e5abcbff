// A function without float initializers has nothing to train.
// RUN: not kiln-opt %s --kiln-make-train-step 2>&1 | FileCheck %s
// CHECK: error: kiln-make-train-step: no trainable weights: the function has no float initializers (kiln.constant with a kiln.onnx_name)

func.func @main(%x: tensor<4x3xf32> {kiln.onnx_name = "x"},
                %w: tensor<3x2xf32> {kiln.onnx_name = "W"})
    -> (tensor<4x2xf32> {kiln.onnx_name = "logits"}) {
  %y = kiln.matmul %x, %w : tensor<4x3xf32>, tensor<3x2xf32> -> tensor<4x2xf32>
  return %y : tensor<4x2xf32>
}
