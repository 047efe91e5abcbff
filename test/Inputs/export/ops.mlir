// Ops that ONNX node tests cannot bring in through the importer (constant
// slice and pad bounds, argmax with its flags, rem, rsqrt, compare ne,
// transposes), for test/Export/onnx-export.test.
func.func @main(%x: tensor<4x6xf32> {kiln.onnx_name = "x"},
                %y: tensor<4x6xf32> {kiln.onnx_name = "y"})
    -> (tensor<2x3xf32>, tensor<6x8xf32>, tensor<4xi64>, tensor<4x6xf32>,
        tensor<4x6xi1>, tensor<6x4xf32>, tensor<1x6xi64>) {
  %s = kiln.slice %x {offsets = array<i64: 1, 0>, sizes = array<i64: 2, 3>, strides = array<i64: 2, 2>} : tensor<4x6xf32> -> tensor<2x3xf32>
  %p = kiln.pad %x {low = array<i64: 1, 0>, high = array<i64: 1, 2>, value = 0.5 : f32} : tensor<4x6xf32> -> tensor<6x8xf32>
  %a = kiln.argmax %x {axis = 1 : i64, keep_dims = false, select_last = true} : tensor<4x6xf32> -> tensor<4xi64>
  %sq = kiln.mul %y, %y : tensor<4x6xf32>
  %one = kiln.constant dense<1.0> : tensor<4x6xf32>
  %pos = kiln.add %sq, %one : tensor<4x6xf32>
  %r = kiln.rsqrt %pos : tensor<4x6xf32>
  %m = kiln.rem %x, %pos : tensor<4x6xf32>
  %q = kiln.add %r, %m : tensor<4x6xf32>
  %ne = kiln.compare ne, %x, %y : tensor<4x6xf32>
  %t = kiln.transpose %q {permutation = array<i64: 1, 0>} : tensor<4x6xf32> -> tensor<6x4xf32>
  %b = kiln.argmin %x {axis = 0 : i64, keep_dims = true, select_last = false} : tensor<4x6xf32> -> tensor<1x6xi64>
  return %s, %p, %a, %q, %ne, %t, %b : tensor<2x3xf32>, tensor<6x8xf32>, tensor<4xi64>, tensor<4x6xf32>, tensor<4x6xi1>, tensor<6x4xf32>, tensor<1x6xi64>
}
