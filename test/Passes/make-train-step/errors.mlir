// kiln-make-train-step rejects what it cannot turn into a training step
// with one error that says why.

// RUN: not kiln-opt %s --kiln-make-train-step="loss=hinge" 2>&1 | FileCheck %s --check-prefix=LOSS
// LOSS: error: kiln-make-train-step: unknown loss 'hinge' (cross-entropy, nll or mse)
// RUN: not kiln-opt %s --kiln-make-train-step="optimizer=lbfgs" 2>&1 | FileCheck %s --check-prefix=OPT
// OPT: error: kiln-make-train-step: unknown optimizer 'lbfgs' (sgd, momentum, nesterov, adam or adagrad)
// RUN: not kiln-opt %s --kiln-make-train-step="lr=0" 2>&1 | FileCheck %s --check-prefix=LR
// LR: error: kiln-make-train-step: lr must be positive
// RUN: not kiln-opt %s --kiln-make-train-step="output=probs" 2>&1 | FileCheck %s --check-prefix=OUTPUT
// OUTPUT: error: kiln-make-train-step: no output named 'probs'
// RUN: not kiln-opt %s --kiln-make-train-step="trainable=W,V" 2>&1 | FileCheck %s --check-prefix=TRAINABLE
// TRAINABLE: error: kiln-make-train-step: no float initializer named 'V' to train (trainable=...)
// RUN: not kiln-opt %s --kiln-make-train-step="output=score" 2>&1 | FileCheck %s --check-prefix=RANK
// RANK: error: kiln-make-train-step: the class losses need scores of shape [N, C, ...]; 'score' has rank 1

func.func @main(%x: tensor<4x3xf32> {kiln.onnx_name = "x"})
    -> (tensor<4x2xf32> {kiln.onnx_name = "logits"},
        tensor<4xf32> {kiln.onnx_name = "score"}) {
  %w = kiln.constant {kiln.onnx_name = "W"} dense<0.5> : tensor<3x2xf32>
  // Integer initializers and unnamed literals are never trained.
  %s = kiln.constant {kiln.onnx_name = "shape"} dense<[4, 2]> : tensor<2xi64>
  %y = kiln.matmul %x, %w : tensor<4x3xf32>, tensor<3x2xf32> -> tensor<4x2xf32>
  %r = kiln.reduce_sum %y {axes = array<i64: 1>, keep_dims = false} : tensor<4x2xf32> -> tensor<4xf32>
  return %y, %r : tensor<4x2xf32>, tensor<4xf32>
}
