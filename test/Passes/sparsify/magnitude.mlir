// kiln-sparsify mode=magnitude on its own, on a training step that still
// holds its gradient request (test/Inputs/sparsify_step.mlir): W0 (a
// matmul rhs) and W1 (read through a transpose) get masks, the bias b0
// does not. Per layer: one kiln.magnitude_threshold per weight, of that
// weight alone, on the steps of the schedule.
// RUN: kiln-opt %kiln_src/test/Inputs/sparsify_step.mlir --kiln-sparsify="mode=magnitude sparsity=0.75 start-step=2 end-step=10 frequency=4" 2>%t.remarks | FileCheck %s
// RUN: FileCheck %s --check-prefix=REMARK < %t.remarks
// scope=global: one threshold over both weights.
// RUN: kiln-opt %kiln_src/test/Inputs/sparsify_step.mlir --kiln-sparsify="mode=magnitude sparsity=0.75 scope=global" 2>/dev/null | FileCheck %s --check-prefix=GLOBAL
// min-elements leaves smaller weights dense (and says so): here all of
// them, which is an error.
// RUN: not kiln-opt %kiln_src/test/Inputs/sparsify_step.mlir --kiln-sparsify="mode=magnitude min-elements=64" 2>&1 >/dev/null | FileCheck %s --check-prefix=MIN
// A target of at least sparse-threshold (0.9) marks the forward 2-D
// matmuls that read the weight as their rhs for sparse code generation
// (W0 directly, W1 through its transpose); sparse-codegen=never does not.
// RUN: kiln-opt %kiln_src/test/Inputs/sparsify_step.mlir --kiln-sparsify="mode=magnitude sparsity=0.95" 2>&1 | FileCheck %s --check-prefix=SPARSE
// RUN: kiln-opt %kiln_src/test/Inputs/sparsify_step.mlir --kiln-sparsify="mode=magnitude sparsity=0.95 sparse-codegen=never" 2>&1 | FileCheck %s --check-prefix=NEVER
// The pass leaves the request; kiln-autodiff expands it afterwards.
// RUN: kiln-opt %kiln_src/test/Inputs/sparsify_step.mlir --kiln-sparsify="mode=magnitude" --kiln-autodiff 2>/dev/null | FileCheck %s --check-prefix=DIFF

// CHECK-LABEL: func.func @main(
// CHECK-SAME: %[[W0:[a-z0-9]+]]: tensor<8x4xf32> {kiln.onnx_name = "W0"}, %[[B0:[a-z0-9]+]]: tensor<4xf32> {kiln.onnx_name = "b0"}, %[[W1:[a-z0-9]+]]: tensor<8x4xf32> {kiln.onnx_name = "W1"}, %[[STEP:[a-z0-9]+]]: tensor<i64> {kiln.onnx_name = "sparsity.step"}, %[[M0:[a-z0-9]+]]: tensor<8x4xf32> {kiln.onnx_name = "sparsity.mask.W0"}, %[[M1:[a-z0-9]+]]: tensor<8x4xf32> {kiln.onnx_name = "sparsity.mask.W1"})
// CHECK-SAME: tensor<8x4xf32> {kiln.onnx_name = "sparsity.mask.W0_new"}, tensor<8x4xf32> {kiln.onnx_name = "sparsity.mask.W1_new"}, tensor<i64> {kiln.onnx_name = "sparsity.step_new"}, tensor<f32> {kiln.onnx_name = "sparsity"})
// CHECK-SAME: kiln.update_binding = {W0 = "W0_new", W1 = "W1_new", b0 = "b0_new", sparsity.mask.W0 = "sparsity.mask.W0_new", sparsity.mask.W1 = "sparsity.mask.W1_new", sparsity.step = "sparsity.step_new"}
// The masks are computed from the weights under stop_gradient.
// CHECK: %[[F0:.*]] = kiln.stop_gradient %[[W0]]
// CHECK: %[[F1:.*]] = kiln.stop_gradient %[[W1]]
// A pruning step: start <= step <= end and on the grid (or the end step).
// CHECK: kiln.rem
// The cubic schedule: s (1 - (1 - p)^3).
// CHECK: %[[R2:.*]] = kiln.mul %[[R:[0-9]+]], %[[R]]
// CHECK: kiln.mul %[[R]], %[[R2]]
// CHECK: %[[T0:.*]] = kiln.magnitude_threshold %{{.*}} of %[[F0]] : tensor<i64> of tensor<8x4xf32> -> tensor<f32>
// CHECK: %[[BT0:.*]] = kiln.broadcast %[[T0]]
// CHECK: %[[A0:.*]] = kiln.abs %[[F0]]
// CHECK: %[[GT0:.*]] = kiln.compare gt, %[[A0]], %[[BT0]]
// CHECK: %[[NEW0:.*]] = kiln.cast %[[GT0]] : tensor<8x4xi1> to tensor<8x4xf32>
// CHECK: %[[MASK0:.*]] = kiln.select %{{.*}}, %[[NEW0]], %[[M0]]
// CHECK: kiln.magnitude_threshold %{{.*}} of %[[F1]]
// CHECK: %[[MASK1:.*]] = kiln.select %{{.*}}, %{{.*}}, %[[M1]]
// The forward products read the masked weights; the bias is untouched.
// CHECK: %[[E0:.*]] = kiln.mul %[[W0]], %[[MASK0]]
// CHECK: %[[E1:.*]] = kiln.mul %[[W1]], %[[MASK1]]
// CHECK: kiln.matmul %{{.*}}, %[[E0]]
// CHECK: kiln.broadcast %[[B0]]
// CHECK: kiln.transpose %[[E1]]
// The request still differentiates the weights themselves.
// CHECK: kiln.gradient %{{.*}} wrt %[[W0]], %[[B0]], %[[W1]]
// CHECK: %[[U0:.*]] = kiln.sub %[[W0]],
// CHECK: %[[U1:.*]] = kiln.sub %[[W1]],
// The updates are stored masked; the masks and the step count are state.
// CHECK: %[[S0:.*]] = kiln.mul %[[U0]], %[[MASK0]]
// CHECK: %[[S1:.*]] = kiln.mul %[[U1]], %[[MASK1]]
// CHECK: %[[NEXT:.*]] = kiln.add %[[STEP]]
// CHECK: return %{{.*}}, %[[S0]], %{{.*}}, %[[S1]], %[[MASK0]], %[[MASK1]], %[[NEXT]], %{{.*}} :
// CHECK-LABEL: func.func @main_init
// CHECK: kiln.constant dense<1.000000e+00> : tensor<8x4xf32>
// CHECK: kiln.constant dense<1.000000e+00> : tensor<8x4xf32>
// CHECK: kiln.constant dense<0> : tensor<i64>

// REMARK: remark: kiln-sparsify: mode=magnitude pruned_weights=2 forward_flops=256 avoidable_flops=192 (75.0%) sparse_products=0; W0 8x4 sparsity=0.750; W1 8x4 sparsity=0.750

// GLOBAL: %[[F0:.*]] = kiln.stop_gradient %arg2
// GLOBAL: %[[F1:.*]] = kiln.stop_gradient %arg4
// GLOBAL: kiln.magnitude_threshold %{{.*}} of %[[F0]], %[[F1]] : tensor<i64> of tensor<8x4xf32>, tensor<8x4xf32> -> tensor<f32>
// GLOBAL-NOT: kiln.magnitude_threshold

// MIN: error: kiln-sparsify: @main: no weight to prune {{.*}}; W0: fewer than min-elements elements; W1: fewer than min-elements elements

// DIFF-LABEL: func.func @main(
// DIFF-NOT: kiln.gradient
// DIFF: kiln.magnitude_threshold
// DIFF: return

// SPARSE: remark: kiln-sparsify: mode=magnitude pruned_weights=2 {{.*}} sparse_products=2;
// SPARSE: kiln.matmul %arg0, %{{.*}} {kiln.sparse_weight} : tensor<2x8xf32>, tensor<8x4xf32>
// SPARSE: kiln.matmul %{{.*}}, %{{.*}} {kiln.sparse_weight} : tensor<2x4xf32>, tensor<4x8xf32>

// NEVER: sparse_products=0;
// NEVER-NOT: kiln.sparse_weight
