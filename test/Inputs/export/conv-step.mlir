// A convolutional training step without pooling, for
// test/Export/onnx-export.test: two strided, padded, dilated convolutions,
// a ReLU and a mean-square loss, with the gradients of both filters and
// the input requested (conv2d_backward_input and conv2d_backward_filter
// after kiln-autodiff). The second convolution's stride leaves input rows
// its windows never reach (ConvTranspose's output_padding).
func.func @main(%x: tensor<2x3x9x8xf32> {kiln.onnx_name = "x"},
                %w1: tensor<4x3x3x3xf32> {kiln.onnx_name = "w1"},
                %w2: tensor<5x4x2x3xf32> {kiln.onnx_name = "w2"})
    -> (tensor<f32>, tensor<4x3x3x3xf32>, tensor<5x4x2x3xf32>, tensor<2x3x9x8xf32>) {
  %h = kiln.conv2d %x, %w1 {strides = array<i64: 1, 1>, padding = array<i64: 1, 1, 1, 1>, dilations = array<i64: 1, 1>, groups = 1 : i64} : tensor<2x3x9x8xf32>, tensor<4x3x3x3xf32> -> tensor<2x4x9x8xf32>
  %r = kiln.relu %h : tensor<2x4x9x8xf32>
  %y = kiln.conv2d %r, %w2 {strides = array<i64: 2, 2>, padding = array<i64: 1, 0, 0, 1>, dilations = array<i64: 1, 2>, groups = 1 : i64} : tensor<2x4x9x8xf32>, tensor<5x4x2x3xf32> -> tensor<2x5x5x3xf32>
  %sq = kiln.mul %y, %y : tensor<2x5x5x3xf32>
  %loss = kiln.reduce_mean %sq {axes = array<i64: 0, 1, 2, 3>, keep_dims = false} : tensor<2x5x5x3xf32> -> tensor<f32>
  %g:3 = kiln.gradient %loss wrt %w1, %w2, %x : tensor<f32> wrt tensor<4x3x3x3xf32>, tensor<5x4x2x3xf32>, tensor<2x3x9x8xf32>
  return %loss, %g#0, %g#1, %g#2 : tensor<f32>, tensor<4x3x3x3xf32>, tensor<5x4x2x3xf32>, tensor<2x3x9x8xf32>
}
