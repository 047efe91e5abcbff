//===- ArtifactSupport.cpp - Runtime functions linked into artifacts ------===//
//
// Part of the Kiln project: an MLIR compiler for training programs.
//
//===----------------------------------------------------------------------===//
//
// The few C functions that lowered MLIR code may call besides libc and the
// OpenMP runtime. The JIT takes them from MLIR's libmlir_c_runner_utils;
// a compiled artifact must not depend on MLIR, so kiln-run --emit-artifact
// links this library (KilnArtifactSupport) into the artifact instead.
//
//===----------------------------------------------------------------------===//

#include <cstdint>
#include <cstdlib>
#include <cstring>

namespace {

/// MLIR's UnrankedMemRefType: the rank and a pointer to a ranked descriptor
/// {T *allocated, T *aligned, i64 offset, i64 sizes[rank],
/// i64 strides[rank]}.
struct UnrankedMemRef {
  int64_t rank;
  void *descriptor;
};

struct RankedView {
  char *aligned;
  int64_t offset;
  const int64_t *sizes;
  const int64_t *strides;
};

RankedView viewOf(const UnrankedMemRef &memref) {
  auto *words = static_cast<int64_t *>(memref.descriptor);
  RankedView view;
  view.aligned = reinterpret_cast<char *>(words[1]);
  view.offset = words[2];
  view.sizes = words + 3;
  view.strides = words + 3 + memref.rank;
  return view;
}

} // namespace

/// Copies `src` into `dst` (same rank and sizes, any strides), elements of
/// `elemSize` bytes: the semantics of MLIR's memrefCopy (CRunnerUtils.cpp).
extern "C" void memrefCopy(int64_t elemSize, UnrankedMemRef *srcArg,
                           UnrankedMemRef *dstArg) {
  int64_t rank = srcArg->rank;
  RankedView src = viewOf(*srcArg), dst = viewOf(*dstArg);
  char *srcPtr = src.aligned + src.offset * elemSize;
  char *dstPtr = dst.aligned + dst.offset * elemSize;
  if (rank == 0) {
    std::memcpy(dstPtr, srcPtr, elemSize);
    return;
  }
  for (int64_t d = 0; d < rank; ++d)
    if (src.sizes[d] == 0)
      return;
  // The odometer's digits; no C++ library, so that artifacts link with cc.
  int64_t smallIndex[16] = {0};
  int64_t *index = rank <= 16 ? smallIndex
                              : static_cast<int64_t *>(
                                    std::calloc(rank, sizeof(int64_t)));
  int64_t innerSize = src.sizes[rank - 1];
  bool innerContiguous = src.strides[rank - 1] == 1 &&
                         dst.strides[rank - 1] == 1;
  for (;;) {
    // One innermost row, then advance the outer index like an odometer.
    if (innerContiguous) {
      std::memcpy(dstPtr, srcPtr, innerSize * elemSize);
    } else {
      for (int64_t i = 0; i < innerSize; ++i)
        std::memcpy(dstPtr + i * dst.strides[rank - 1] * elemSize,
                    srcPtr + i * src.strides[rank - 1] * elemSize, elemSize);
    }
    int64_t d = rank - 2;
    for (; d >= 0; --d) {
      srcPtr += src.strides[d] * elemSize;
      dstPtr += dst.strides[d] * elemSize;
      if (++index[d] < src.sizes[d])
        break;
      srcPtr -= src.strides[d] * src.sizes[d] * elemSize;
      dstPtr -= dst.strides[d] * dst.sizes[d] * elemSize;
      index[d] = 0;
    }
    if (d < 0)
      break;
  }
  if (index != smallIndex)
    std::free(index);
}
