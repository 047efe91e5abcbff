// kiln-quantize mode=adam-8bit (through make-train-step's quantize=): Adam's
// moments of the 64x64 weight (4096 elements, at least min-8bit-elements)
// are stored as two blocks of 2048 i8 codes and an f32 absmax per block;
// the bias's 64-element moments stay f32. The step dequantizes each moment
// right before the update reads it and quantizes the new moment before the
// return; the init function starts from zero codes and scales.
// RUN: kiln-opt %s --kiln-make-train-step="loss=mse optimizer=adam quantize=adam-8bit" 2>/dev/null | FileCheck %s
// RUN: kiln-opt %s --kiln-make-train-step="loss=mse optimizer=adam quantize=adam-8bit" 2>&1 >/dev/null | FileCheck %s --check-prefix=REMARK
// With a precision: both rewrites, one remark each.
// RUN: kiln-opt %s --kiln-make-train-step="loss=mse optimizer=adam quantize=bf16,adam-8bit" 2>&1 >/dev/null | FileCheck %s --check-prefix=BOTH

func.func @main(%x: tensor<4x64xf32> {kiln.onnx_name = "x"})
    -> (tensor<4x64xf32> {kiln.onnx_name = "y"}) {
  %w = kiln.constant {kiln.onnx_name = "W"} dense<0.01> : tensor<64x64xf32>
  %b = kiln.constant {kiln.onnx_name = "b"} dense<0.0> : tensor<64xf32>
  %y = kiln.matmul %x, %w : tensor<4x64xf32>, tensor<64x64xf32> -> tensor<4x64xf32>
  %bb = kiln.broadcast %b : tensor<64xf32> to tensor<4x64xf32>
  %z = kiln.add %y, %bb : tensor<4x64xf32>
  return %z : tensor<4x64xf32>
}

// CHECK-LABEL: func.func @main(
// CHECK-SAME: %arg4: tensor<64xf32> {kiln.onnx_name = "b.V"}, %arg5: tensor<64xf32> {kiln.onnx_name = "b.H"}
// CHECK-SAME: %arg7: tensor<2x2048xi8> {kiln.onnx_name = "W.V.q8"}, %arg8: tensor<2xf32> {kiln.onnx_name = "W.V.absmax"}, %arg9: tensor<2x2048xi8> {kiln.onnx_name = "W.H.q8"}, %arg10: tensor<2xf32> {kiln.onnx_name = "W.H.absmax"}
// CHECK-SAME: tensor<2x2048xi8> {kiln.onnx_name = "W.V.q8_new"}, tensor<2xf32> {kiln.onnx_name = "W.V.absmax_new"}
// CHECK-SAME: kiln.update_binding = {W = "W_new", W.H.absmax = "W.H.absmax_new", W.H.q8 = "W.H.q8_new", W.V.absmax = "W.V.absmax_new", W.V.q8 = "W.V.q8_new", b = "b_new", b.H = "b.H_new", b.V = "b.V_new", step_count = "step_count_new"}
// Dequantize: sign(c) * absmax * (|c| / 127)^4, then back to the moment's shape.
// CHECK: %[[C:.*]] = kiln.cast %arg7 : tensor<2x2048xi8> to tensor<2x2048xf32>
// CHECK: %[[A:.*]] = kiln.abs %[[C]]
// CHECK: %[[T:.*]] = kiln.div %[[A]], %{{.*}} : tensor<2x2048xf32>
// CHECK: %[[T2:.*]] = kiln.mul %[[T]], %[[T]]
// CHECK: %[[T4:.*]] = kiln.mul %[[T2]], %[[T2]]
// CHECK: %[[S:.*]] = kiln.reshape %arg8 : tensor<2xf32> to tensor<2x1xf32>
// CHECK: %[[SB:.*]] = kiln.broadcast %[[S]] : tensor<2x1xf32> to tensor<2x2048xf32>
// CHECK: kiln.mul %[[T4]], %[[SB]]
// CHECK: kiln.reshape %{{.*}} : tensor<4096xf32> to tensor<64x64xf32>
// Quantize the new moment: absmax per block, 127 * (|x| / absmax)^(1/4).
// CHECK: %[[BLOCKS:.*]] = kiln.reshape %{{.*}} : tensor<4096xf32> to tensor<2x2048xf32>
// CHECK: %[[MAG:.*]] = kiln.abs %[[BLOCKS]]
// CHECK: %[[MAX:.*]] = kiln.reduce_max %[[MAG]] {axes = array<i64: 1>, keep_dims = false} : tensor<2x2048xf32> -> tensor<2xf32>
// CHECK: kiln.sqrt
// CHECK: kiln.sqrt
// CHECK: kiln.round
// CHECK: %[[CODES:.*]] = kiln.cast %{{.*}} : tensor<2x2048xf32> to tensor<2x2048xi8>
// CHECK: return {{.*}}%[[CODES]], %[[MAX]]
// CHECK-LABEL: func.func @main_init()
// CHECK: kiln.constant dense<0> : tensor<2x2048xi8>
// CHECK: kiln.constant dense<0.000000e+00> : tensor<2xf32>

// By hand: f32 state = W's moments 2 x 4096 x 4 + b's 2 x 64 x 4 + the i64
// step 8 = 33288 bytes; after: codes 2 x 4096 x 1 + scales 2 x 2 x 4 + b's
// 512 + 8 = 8728 (26.2%).
// REMARK: remark: kiln-quantize: mode=adam-8bit quantized_tensors=2 f32_tensors=2 optimizer_state_bytes=33288->8728 (26.2% of f32)
// BOTH: remark: kiln-quantize: mode=bf16
// BOTH: remark: kiln-quantize: mode=adam-8bit quantized_tensors=2
