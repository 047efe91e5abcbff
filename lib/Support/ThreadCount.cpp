//===- ThreadCount.cpp - Threads the CPU code is split across -------------===//
//
// Part of the Kiln project: an MLIR compiler for training programs.
//
//===----------------------------------------------------------------------===//

#include "kiln/Support/ThreadCount.h"

#include <algorithm>
#include <cstdlib>
#include <thread>

namespace kiln {

int64_t resolveThreadCount(int64_t requested) {
  if (requested > 0)
    return requested;
  if (const char *env = std::getenv("OMP_NUM_THREADS"))
    if (int64_t n = std::atoll(env); n > 0)
      return n;
  return std::max(1u, std::thread::hardware_concurrency());
}

} // namespace kiln
