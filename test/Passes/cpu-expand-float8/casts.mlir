// kiln-cpu-expand-float8: conversions to and from f8E4M3FN / f8E5M2, scalar
// or vector, become integer ops on the f32 bits; the 8-bit value is an i8
// bitcast to the f8 type. Other conversions are left alone.
// RUN: kiln-opt %s --pass-pipeline="builtin.module(func.func(kiln-cpu-expand-float8))" | FileCheck %s

// CHECK-LABEL: func.func @trunc_e4m3
// Round to nearest even at bit 20 (3 mantissa bits kept), re-bias by
// (127 - 7) << 3 = 960, saturate at 448, subnormals in steps of 2^-9.
// CHECK-DAG: arith.constant dense<960> : vector<16xi32>
// CHECK-DAG: arith.constant dense<20> : vector<16xi32>
// CHECK-DAG: arith.constant dense<4.480000e+02> : vector<16xf32>
// CHECK-DAG: arith.constant dense<5.120000e+02> : vector<16xf32>
// CHECK-NOT: arith.truncf
// CHECK: %[[BITS:.*]] = arith.bitcast %arg0 : vector<16xf32> to vector<16xi32>
// CHECK: arith.minimumf %{{.*}}, %{{.*}} : vector<16xf32>
// CHECK: arith.shrui %{{.*}}, %{{.*}} : vector<16xi32>
// CHECK: math.roundeven %{{.*}} : vector<16xf32>
// CHECK: %[[BYTE:.*]] = arith.trunci %{{.*}} : vector<16xi32> to vector<16xi8>
// CHECK: %[[R:.*]] = arith.bitcast %[[BYTE]] : vector<16xi8> to vector<16xf8E4M3FN>
// CHECK: return %[[R]]
func.func @trunc_e4m3(%x: vector<16xf32>) -> vector<16xf8E4M3FN> {
  %y = arith.truncf %x : vector<16xf32> to vector<16xf8E4M3FN>
  return %y : vector<16xf8E4M3FN>
}

// CHECK-LABEL: func.func @ext_e5m2
// Exponent all ones (31): inf (0x7F800000) or NaN (0x7FC00000); re-bias
// by 127 - 15 = 112.
// CHECK-DAG: arith.constant 2139095040 : i32
// CHECK-DAG: arith.constant 2143289344 : i32
// CHECK-DAG: arith.constant 31 : i32
// CHECK-DAG: arith.constant 112 : i32
// CHECK-NOT: arith.extf
// CHECK: %[[B:.*]] = arith.bitcast %arg0 : f8E5M2 to i8
// CHECK: arith.extui %[[B]] : i8 to i32
// CHECK: %[[F:.*]] = arith.bitcast %{{.*}} : i32 to f32
// CHECK: return %[[F]]
func.func @ext_e5m2(%x: f8E5M2) -> f32 {
  %y = arith.extf %x : f8E5M2 to f32
  return %y : f32
}

// CHECK-LABEL: func.func @others
// CHECK: arith.truncf %arg0 : f32 to bf16
// CHECK: arith.extf %{{.*}} : bf16 to f32
func.func @others(%x: f32) -> f32 {
  %y = arith.truncf %x : f32 to bf16
  %z = arith.extf %y : bf16 to f32
  return %z : f32
}
