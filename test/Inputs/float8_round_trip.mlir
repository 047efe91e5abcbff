// The round trips of float8.test (check_float8.py writes 234 values).
func.func @main(%x: tensor<234xf32> {kiln.onnx_name = "x"})
    -> (tensor<234xf32> {kiln.onnx_name = "e4m3"}, tensor<234xf32> {kiln.onnx_name = "e5m2"}) {
  %a = kiln.cast %x : tensor<234xf32> to tensor<234xf8E4M3FN>
  %b = kiln.cast %a : tensor<234xf8E4M3FN> to tensor<234xf32>
  %c = kiln.cast %x : tensor<234xf32> to tensor<234xf8E5M2>
  %d = kiln.cast %c : tensor<234xf8E5M2> to tensor<234xf32>
  return %b, %d : tensor<234xf32>, tensor<234xf32>
}
