// kiln-cpu-vectorize: a 0-d input (here Adam's i64 step counter and its
// bias correction, as kiln-fuse's optimizer group reads them) is read once
// before the loop with tensor.extract and used in the body as a value from
// above. The update then vectorizes and is threaded; before, the i64
// operand kept the whole f32 loop scalar and on one thread.
// RUN: kiln-opt %s --pass-pipeline="builtin.module(func.func(kiln-cpu-vectorize{num-threads=2 min-parallel-elements=1}))" \
// RUN:   | FileCheck %s

#scalar = affine_map<(i, j) -> ()>
#id = affine_map<(i, j) -> (i, j)>
func.func @adam_like(%w: tensor<64x128xf32>, %m: tensor<64x128xf32>, %step: tensor<i64>, %corr: tensor<f32>) -> tensor<64x128xf32> {
  %zero = arith.constant 0 : i64
  %one = arith.constant 1.0 : f32
  %e = tensor.empty() : tensor<64x128xf32>
  %r = linalg.generic {indexing_maps = [#id, #id, #scalar, #scalar, #id], iterator_types = ["parallel", "parallel"]}
      ins(%w, %m, %step, %corr : tensor<64x128xf32>, tensor<64x128xf32>, tensor<i64>, tensor<f32>) outs(%e : tensor<64x128xf32>) {
  ^bb0(%wi: f32, %mi: f32, %s: i64, %c: f32, %o: f32):
    %started = arith.cmpi sgt, %s, %zero : i64
    %scale = arith.select %started, %c, %one : f32
    %u = arith.mulf %scale, %mi : f32
    %n = arith.subf %wi, %u : f32
    linalg.yield %n : f32
  } -> tensor<64x128xf32>
  return %r : tensor<64x128xf32>
}
// CHECK-LABEL: func.func @adam_like
// CHECK-DAG: %[[S:.*]] = tensor.extract %arg2[] : tensor<i64>
// CHECK-DAG: %[[C:.*]] = tensor.extract %arg3[] : tensor<f32>
// CHECK: scf.forall
// CHECK:   %[[STARTED:.*]] = arith.cmpi sgt, %[[S]], %{{.*}} : i64
// CHECK:   %[[SCALE:.*]] = arith.select %[[STARTED]], %[[C]], %{{.*}} : f32
// CHECK:   %[[B:.*]] = vector.broadcast %[[SCALE]] : f32 to vector<64xf32>
// CHECK:   arith.mulf %[[B]], %{{.*}} : vector<64xf32>
// CHECK:   arith.subf %{{.*}} : vector<64xf32>
// CHECK-NOT: tensor<i64>
// CHECK: return
