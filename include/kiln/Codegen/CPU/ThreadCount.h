//===- ThreadCount.h - Threads the CPU kernels are split across -*- C++ -*-===//
//
// Part of the Kiln project: an MLIR compiler for training programs.
//
//===----------------------------------------------------------------------===//
//
// The code generation passes tile work into one piece per thread at compile
// time; the pieces then run on the OpenMP runtime, which starts
// OMP_NUM_THREADS threads, else one per core. Both must agree.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_CODEGEN_CPU_THREADCOUNT_H
#define KILN_CODEGEN_CPU_THREADCOUNT_H

#include <cstdint>

namespace kiln {
namespace cpu {

/// `requested` when positive, else the thread count the OpenMP runtime will
/// use: OMP_NUM_THREADS when set to a positive number, else the host's
/// cores (at least 1).
int64_t resolveThreadCount(int64_t requested);

} // namespace cpu
} // namespace kiln

#endif // KILN_CODEGEN_CPU_THREADCOUNT_H
