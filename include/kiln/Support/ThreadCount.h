//===- ThreadCount.h - Threads the CPU code is split across -----*- C++ -*-===//
//
// Part of the Kiln project: an MLIR compiler for training programs.
//
//===----------------------------------------------------------------------===//
//
// The code generation passes tile work into one piece per thread at compile
// time, and kiln-plan-memory gives each thread of a parallel loop its own
// buffer slot; the pieces then run on the OpenMP runtime, which starts
// OMP_NUM_THREADS threads, else one per core. All must agree.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_SUPPORT_THREADCOUNT_H
#define KILN_SUPPORT_THREADCOUNT_H

#include <cstdint>

namespace kiln {

/// `requested` when positive, else the thread count the OpenMP runtime will
/// use: OMP_NUM_THREADS when set to a positive number, else the host's
/// cores (at least 1).
int64_t resolveThreadCount(int64_t requested);

} // namespace kiln

#endif // KILN_SUPPORT_THREADCOUNT_H
