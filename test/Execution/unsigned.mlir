// Unsigned integers end to end through kiln-run: 200 is 200 (not -56) in
// division, max, compare, shifts and casts; a private helper with unsigned
// arguments compiles without warnings, and the outputs come back as u8.
// RUN: kiln-run %s 2>&1 | FileCheck %s
// CHECK-NOT: warning
// CHECK: output 'output_0': u8[4] = 6.600000e+01 1.270000e+02 0.000000e+00 0.000000e+00
// CHECK: output 'output_1': u8[4] = 2.000000e+02 2.550000e+02 7.000000e+00 5.000000e+00
// CHECK: output 'output_2': f32[4] = 2.000000e+02 2.550000e+02 7.000000e+00 0.000000e+00
// CHECK: output 'output_3': u8[4] = 1.000000e+02 1.270000e+02 3.000000e+00 0.000000e+00
// CHECK: output 'output_4': i32[4] = 2.000000e+02 2.550000e+02 7.000000e+00 0.000000e+00
// CHECK-NOT: warning

func.func private @quotient(%a: tensor<4xui8>, %b: tensor<4xui8>) -> tensor<4xui8> {
  %q = kiln.div %a, %b : tensor<4xui8>
  return %q : tensor<4xui8>
}

func.func @main() -> (tensor<4xui8>, tensor<4xui8>, tensor<4xf32>, tensor<4xui8>, tensor<4xi32>) {
  %a = kiln.constant dense<[200, 255, 7, 0]> : tensor<4xui8>
  %b = kiln.constant dense<[3, 2, 0, 5]> : tensor<4xui8>
  %one = kiln.constant dense<1> : tensor<4xui8>
  // 200 / 3 = 66, 255 / 2 = 127, x / 0 = 0.
  %q = func.call @quotient(%a, %b) : (tensor<4xui8>, tensor<4xui8>) -> tensor<4xui8>
  %m = kiln.max %a, %b : tensor<4xui8>
  %f = kiln.cast %a : tensor<4xui8> to tensor<4xf32>
  // Logical right shift: 200 >> 1 = 100, 255 >> 1 = 127, 7 >> 1 = 3.
  %s = kiln.shift_right %a, %one : tensor<4xui8>
  %i = kiln.cast %a : tensor<4xui8> to tensor<4xi32>
  return %q, %m, %f, %s, %i : tensor<4xui8>, tensor<4xui8>, tensor<4xf32>, tensor<4xui8>, tensor<4xi32>
}
