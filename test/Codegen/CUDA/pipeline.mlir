// kiln-cuda-lower-to-nvvm on a tensor-level function: each linalg op
// becomes a kernel (gpu.launch_func of an outlined gpu.module), compiled to
// PTX for the requested chip inside a gpu.binary; the host side is LLVM
// dialect. No ptxas or GPU needed: the PTX is checked as text here and
// assembled in ptx-training-steps.test where ptxas exists.
// The matmul's zero fill, the matmul and the exp: three kernels.
// RUN: kiln-opt %s --convert-kiln-to-linalg --kiln-cuda-lower-to-nvvm | FileCheck %s
// RUN: kiln-opt %s --convert-kiln-to-linalg --kiln-cuda-lower-to-nvvm="chip=sm_80" | FileCheck %s --check-prefix=SM80

// CHECK: llvm.func @main(
// CHECK: gpu.launch_func @main_kernel::@main_kernel
// CHECK: gpu.launch_func @main_kernel_0::@main_kernel
// CHECK: gpu.launch_func @main_kernel_1::@main_kernel
// CHECK: gpu.binary @main_kernel [#gpu.object<#nvvm.target<chip = "sm_90", features = "+ptx80">, {{.*}}assembly = "{{.*}}.target sm_90{{.*}}.visible .entry main_kernel(
// CHECK: gpu.binary @main_kernel_0 [#gpu.object<#nvvm.target<chip = "sm_90"
// SM80: #nvvm.target<chip = "sm_80", features = "+ptx80">{{.*}}.target sm_80
func.func @main(%x: tensor<4x8xf32>, %w: tensor<8x16xf32>) -> tensor<4x16xf32> {
  %y = kiln.matmul %x, %w : tensor<4x8xf32>, tensor<8x16xf32> -> tensor<4x16xf32>
  %e = kiln.exp %y : tensor<4x16xf32>
  return %e : tensor<4x16xf32>
}
