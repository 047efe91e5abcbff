// kiln-quantize refuses what it cannot do, naming the reason (exit code of
// kiln-opt: 1 for a failed pass; kiln-run turns a failed pipeline into 2).
// RUN: not kiln-opt %s --split-input-file --kiln-quantize="mode=int4" 2>&1 | FileCheck %s --check-prefix=UNKNOWN
// RUN: not kiln-opt %s --split-input-file --kiln-quantize="mode=bf16" 2>&1 | FileCheck %s
// RUN: not kiln-opt %s --split-input-file --kiln-quantize="mode=f16 growth-interval=0" 2>&1 | FileCheck %s --check-prefix=GROWTH
// RUN: not kiln-opt %s --split-input-file --kiln-quantize="mode=bf16,f16" 2>&1 | FileCheck %s --check-prefix=TWO
// RUN: not kiln-opt %s --split-input-file --kiln-quantize 2>&1 | FileCheck %s --check-prefix=NONE
// RUN: not kiln-opt %s --split-input-file --kiln-quantize="mode=bf16,qat-int8" 2>&1 | FileCheck %s --check-prefix=QATMIX

// UNKNOWN: error: kiln-quantize: unknown mode 'int4' (bf16, f16, fp8, qat-int8, adam-8bit)
// GROWTH: error: kiln-quantize: growth-interval must be at least 1
// QATMIX: error: kiln-quantize: at most one of bf16, f16, fp8 and qat-int8 (each may combine with adam-8bit)
// TWO: error: kiln-quantize: at most one of bf16 and f16
// NONE: error: kiln-quantize: no mode (mode=bf16, f16, fp8, qat-int8, adam-8bit, or a combination such as bf16,adam-8bit)

// A function that is not a training step.
// CHECK: error: kiln-quantize: no training step (a function with kiln.update_binding, e.g. from kiln-make-train-step)
func.func @f(%x: tensor<4xf32>) -> tensor<4xf32> {
  %y = kiln.relu %x : tensor<4xf32>
  return %y : tensor<4xf32>
}

// -----

// A training step already differentiated (no request left).
// CHECK: error: kiln-quantize: @step: no kiln.gradient request (run kiln-quantize before kiln-autodiff; kiln-make-train-step's quantize= option does)
func.func @step(%w: tensor<4xf32> {kiln.onnx_name = "w"}) -> (tensor<4xf32> {kiln.onnx_name = "w_new"}) attributes {kiln.init_function = @init, kiln.update_binding = {w = "w_new"}} {
  %y = kiln.relu %w : tensor<4xf32>
  return %y : tensor<4xf32>
}
func.func @init() -> (tensor<4xf32> {kiln.onnx_name = "w"}) {
  %0 = kiln.constant dense<1.0> : tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

// An update binding whose value is not a result name is refused, not a crash.
// RUN: not kiln-opt %s --split-input-file --kiln-quantize="mode=adam-8bit min-8bit-elements=1" 2>&1 | FileCheck %s --check-prefix=BINDING
// BINDING: error: kiln-quantize: @bad_binding: state 'w.m' has no bound result or no initial value
func.func @bad_binding(%w: tensor<4xf32> {kiln.onnx_name = "w"}, %m: tensor<4xf32> {kiln.onnx_name = "w.m"}) -> (tensor<f32> {kiln.onnx_name = "loss"}, tensor<4xf32> {kiln.onnx_name = "w_new"}) attributes {kiln.init_function = @bad_init, kiln.update_binding = {w = "w_new", w.m = 3 : i64}} {
  %l = kiln.reduce_sum %w {axes = array<i64: 0>, keep_dims = false} : tensor<4xf32> -> tensor<f32>
  %g = kiln.gradient %l wrt %w : tensor<f32> wrt tensor<4xf32>
  %n = kiln.sub %w, %g : tensor<4xf32>
  %u = kiln.add %n, %m : tensor<4xf32>
  return %l, %u : tensor<f32>, tensor<4xf32>
}
func.func @bad_init() -> (tensor<4xf32> {kiln.onnx_name = "w"}, tensor<4xf32> {kiln.onnx_name = "w.m"}) {
  %0 = kiln.constant dense<1.0> : tensor<4xf32>
  return %0, %0 : tensor<4xf32>, tensor<4xf32>
}
