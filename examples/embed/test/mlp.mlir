// A small training step written in the kiln dialect: y = relu(x W + b),
// the loss mean(y^2), and its gradients requested from kiln-autodiff.
func.func @step(%x: tensor<4x8xf32>, %w: tensor<8x16xf32>, %b: tensor<16xf32>)
    -> (tensor<f32>, tensor<8x16xf32>, tensor<16xf32>) {
  %xw = kiln.matmul %x, %w : tensor<4x8xf32>, tensor<8x16xf32> -> tensor<4x16xf32>
  %bb = kiln.broadcast %b : tensor<16xf32> to tensor<4x16xf32>
  %z = kiln.add %xw, %bb : tensor<4x16xf32>
  %y = kiln.relu %z : tensor<4x16xf32>
  %sq = kiln.mul %y, %y : tensor<4x16xf32>
  %loss = kiln.reduce_mean %sq {axes = array<i64: 0, 1>, keep_dims = false} : tensor<4x16xf32> -> tensor<f32>
  %g:2 = kiln.gradient %loss wrt %w, %b : tensor<f32> wrt tensor<8x16xf32>, tensor<16xf32>
  return %loss, %g#0, %g#1 : tensor<f32>, tensor<8x16xf32>, tensor<16xf32>
}
