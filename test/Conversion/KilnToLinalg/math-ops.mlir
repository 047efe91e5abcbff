// RUN: kiln-opt %s --convert-kiln-to-linalg | FileCheck %s

// Unsigned integers compute with the unsigned arith ops, then every type is
// signless and the function boundary remembers which tensors were unsigned.
// Integer division never traps: a zero divisor is replaced and the result
// selected to 0.
// CHECK-LABEL: func.func @div_u8
// CHECK-SAME: (%{{.*}}: tensor<4xi8> {kiln.unsigned}, %{{.*}}: tensor<4xi8> {kiln.unsigned}) -> (tensor<4xi8> {kiln.unsigned})
// CHECK:       ^bb0(%[[A:.*]]: i8, %[[B:.*]]: i8, %{{.*}}: i8):
// CHECK-DAG:     %[[Z:.*]] = arith.constant 0 : i8
// CHECK-DAG:     %[[ONE:.*]] = arith.constant 1 : i8
// CHECK:         %[[IS0:.*]] = arith.cmpi eq, %[[B]], %[[Z]] : i8
// CHECK:         %[[D:.*]] = arith.select %[[IS0]], %[[ONE]], %[[B]] : i8
// CHECK:         %[[Q:.*]] = arith.divui %[[A]], %[[D]] : i8
// CHECK:         arith.select %[[IS0]], %[[Z]], %[[Q]] : i8
// CHECK-NOT:   ui8
func.func @div_u8(%a: tensor<4xui8>, %b: tensor<4xui8>) -> tensor<4xui8> {
  %r = kiln.div %a, %b : tensor<4xui8>
  return %r : tensor<4xui8>
}

// Signed: MIN / -1 (which traps) is computed as 0 - x instead.
// CHECK-LABEL: func.func @div_i32
// CHECK:         arith.cmpi eq, %{{.*}}, %{{.*}} : i32
// CHECK:         %[[M1:.*]] = arith.cmpi eq, %{{.*}}, %{{.*}} : i32
// CHECK:         %[[Q:.*]] = arith.divsi
// CHECK:         %[[N:.*]] = arith.subi
// CHECK:         arith.select %[[M1]], %[[N]], %[[Q]] : i32
func.func @div_i32(%a: tensor<4xi32>, %b: tensor<4xi32>) -> tensor<4xi32> {
  %r = kiln.div %a, %b : tensor<4xi32>
  return %r : tensor<4xi32>
}

// CHECK-LABEL: func.func @compare_max_u16
// CHECK:         arith.cmpi ult, %{{.*}}, %{{.*}} : i16
// CHECK:         arith.maxui %{{.*}}, %{{.*}} : i16
func.func @compare_max_u16(%a: tensor<4xui16>, %b: tensor<4xui16>) -> (tensor<4xi1>, tensor<4xui16>) {
  %c = kiln.compare lt, %a, %b : tensor<4xui16>
  %m = kiln.max %a, %b : tensor<4xui16>
  return %c, %m : tensor<4xi1>, tensor<4xui16>
}

// Casts extend and convert by the signedness of the source or target;
// same-width integers of another signedness are the same bits.
// CHECK-LABEL: func.func @casts
// CHECK-SAME: (%{{.*}}: tensor<4xi8> {kiln.unsigned}, %{{.*}}: tensor<4xf32>) -> (tensor<4xf32>, tensor<4xi32>, tensor<4xi8>, tensor<4xi16> {kiln.unsigned})
// CHECK:         arith.uitofp %{{.*}} : i8 to f32
// CHECK:         arith.extui %{{.*}} : i8 to i32
// CHECK:         arith.bitcast %{{.*}} : i8 to i8
// CHECK:         arith.fptoui %{{.*}} : f32 to i16
func.func @casts(%u: tensor<4xui8>, %f: tensor<4xf32>) -> (tensor<4xf32>, tensor<4xi32>, tensor<4xi8>, tensor<4xui16>) {
  %0 = kiln.cast %u : tensor<4xui8> to tensor<4xf32>
  %1 = kiln.cast %u : tensor<4xui8> to tensor<4xi32>
  %2 = kiln.cast %u : tensor<4xui8> to tensor<4xi8>
  %3 = kiln.cast %f : tensor<4xf32> to tensor<4xui16>
  return %0, %1, %2, %3 : tensor<4xf32>, tensor<4xi32>, tensor<4xi8>, tensor<4xui16>
}

// Literals keep their bytes; reductions start from the unsigned identity.
// CHECK-LABEL: func.func @reduce_u16
// CHECK-DAG:     arith.constant dense<[1, -1]> : tensor<2xi16>
// CHECK-DAG:     %[[Z:.*]] = arith.constant 0 : i16
// CHECK:         linalg.fill ins(%[[Z]] : i16)
// CHECK:         linalg.reduce
// CHECK:           arith.maxui
// CHECK:         arith.constant -1 : i16
// CHECK:         linalg.reduce
// CHECK:           arith.minui
func.func @reduce_u16(%a: tensor<2x3xui16>) -> (tensor<2xui16>, tensor<2xui16>) {
  %c = kiln.constant dense<[1, 65535]> : tensor<2xui16>
  %r = kiln.reduce_max %a {axes = array<i64: 1>, keep_dims = false} : tensor<2x3xui16> -> tensor<2xui16>
  %s = kiln.add %r, %c : tensor<2xui16>
  %m = kiln.reduce_min %a {axes = array<i64: 1>, keep_dims = false} : tensor<2x3xui16> -> tensor<2xui16>
  return %s, %m : tensor<2xui16>, tensor<2xui16>
}

// CHECK-LABEL: func.func @bitwise
// CHECK:         arith.andi %{{.*}}, %{{.*}} : i1
// CHECK:         arith.ori %{{.*}}, %{{.*}} : i8
// CHECK:         arith.xori %{{.*}}, %{{.*}} : i64
func.func @bitwise(%a: tensor<4xi1>, %b: tensor<4xui8>, %c: tensor<4xi64>) -> (tensor<4xi1>, tensor<4xui8>, tensor<4xi64>) {
  %0 = kiln.and %a, %a : tensor<4xi1>
  %1 = kiln.or %b, %b : tensor<4xui8>
  %2 = kiln.xor %c, %c : tensor<4xi64>
  return %0, %1, %2 : tensor<4xi1>, tensor<4xui8>, tensor<4xi64>
}

// Shifts by an amount outside [0, width) shift every bit out: a select on
// an unsigned range check (LLVM's shifts are poison there).
// CHECK-LABEL: func.func @shifts
// CHECK:         %[[W:.*]] = arith.constant 16 : i16
// CHECK:         %[[IN:.*]] = arith.cmpi ult, %[[S:.*]], %[[W]] : i16
// CHECK:         %[[L:.*]] = arith.shli %{{.*}}, %[[S]] : i16
// CHECK:         arith.select %[[IN]], %[[L]], %{{.*}} : i16
// CHECK:         arith.shrui
// CHECK:         arith.constant 31 : i32
// CHECK:         arith.shrsi
func.func @shifts(%a: tensor<4xui16>, %b: tensor<4xi32>) -> (tensor<4xui16>, tensor<4xui16>, tensor<4xi32>) {
  %0 = kiln.shift_left %a, %a : tensor<4xui16>
  %1 = kiln.shift_right %a, %a : tensor<4xui16>
  %2 = kiln.shift_right %b, %b : tensor<4xi32>
  return %0, %1, %2 : tensor<4xui16>, tensor<4xui16>, tensor<4xi32>
}

// CHECK-LABEL: func.func @float_math
// CHECK:         arith.remf %{{.*}}, %{{.*}} : f32
// CHECK:         math.roundeven %{{.*}} : f16
// CHECK:         math.atan %{{.*}} : f64
func.func @float_math(%x: tensor<3xf32>, %h: tensor<3xf16>, %d: tensor<3xf64>) -> (tensor<3xf32>, tensor<3xf16>, tensor<3xf64>) {
  %0 = kiln.rem %x, %x : tensor<3xf32>
  %1 = kiln.round %h : tensor<3xf16>
  %2 = kiln.atan %d : tensor<3xf64>
  return %0, %1, %2 : tensor<3xf32>, tensor<3xf16>, tensor<3xf64>
}

// CHECK-LABEL: func.func @rem_ints
// CHECK:         arith.remui %{{.*}}, %{{.*}} : i32
// CHECK:         arith.remsi %{{.*}}, %{{.*}} : i8
func.func @rem_ints(%a: tensor<3xui32>, %b: tensor<3xi8>) -> (tensor<3xui32>, tensor<3xi8>) {
  %0 = kiln.rem %a, %a : tensor<3xui32>
  %1 = kiln.rem %b, %b : tensor<3xi8>
  return %0, %1 : tensor<3xui32>, tensor<3xi8>
}

// A function without kiln ops is made signless too.
// CHECK-LABEL: func.func @identity_u32
// CHECK-SAME: (%{{.*}}: tensor<2xi32> {kiln.unsigned}) -> (tensor<2xi32> {kiln.unsigned})
func.func @identity_u32(%a: tensor<2xui32>) -> tensor<2xui32> {
  return %a : tensor<2xui32>
}

// Blob literals keep their bytes under the signless type.
// CHECK-LABEL: func.func @resource_u8
// CHECK-SAME: -> (tensor<4xi8> {kiln.unsigned})
// CHECK:         arith.constant dense_resource<blob_u8> : tensor<4xi8>
func.func @resource_u8() -> tensor<4xui8> {
  %c = kiln.constant dense_resource<blob_u8> : tensor<4xui8>
  return %c : tensor<4xui8>
}

{-#
  dialect_resources: { builtin: { blob_u8: "0x04000000C8FF0703" } }
#-}
