//===- DropoutHash.h - The counter-based hash of kiln.dropout_mask -*- C++ -*-===//
//
// Part of the Kiln project: an MLIR compiler for training programs.
//
//===----------------------------------------------------------------------===//
//
// The definition of kiln.dropout_mask's random numbers, shared by its
// lowering (which emits the same arithmetic as arith ops) and by tests and
// tools that need the mask on the host. Counter-based: element i's number
// depends only on (seed, offset, i), so it is reproducible on any target and
// in any order of evaluation.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_DIALECT_KILN_DROPOUTHASH_H
#define KILN_DIALECT_KILN_DROPOUTHASH_H

#include <cstdint>

namespace kiln {
namespace dropout {

/// splitmix64's increment and finalizer constants.
constexpr uint64_t kGolden = 0x9E3779B97F4A7C15ull;
constexpr uint64_t kMix1 = 0xBF58476D1CE4E5B9ull;
constexpr uint64_t kMix2 = 0x94D049BB133111EBull;
/// The uniform number keeps the top 24 bits: exact in f32 (and wider).
constexpr int kUniformBits = 24;

/// splitmix64's finalizer of x + golden.
constexpr uint64_t mix(uint64_t x) {
  uint64_t z = x + kGolden;
  z = (z ^ (z >> 30)) * kMix1;
  z = (z ^ (z >> 27)) * kMix2;
  return z ^ (z >> 31);
}

/// The per-mask key: independent of the element.
constexpr uint64_t key(int64_t seed, int64_t offset) {
  return mix(static_cast<uint64_t>(seed) ^ mix(static_cast<uint64_t>(offset)));
}

/// Element `index`'s uniform number in [0, 1), on a 2^-24 grid.
inline float uniform(int64_t seed, int64_t offset, int64_t index) {
  uint64_t bits = mix(key(seed, offset) + static_cast<uint64_t>(index));
  return static_cast<float>(bits >> (64 - kUniformBits)) *
         (1.0f / static_cast<float>(1u << kUniformBits));
}

/// Whether element `index` is kept at drop probability `ratio`.
inline bool keep(int64_t seed, int64_t offset, int64_t index, float ratio) {
  return uniform(seed, offset, index) >= ratio;
}

} // namespace dropout
} // namespace kiln

#endif // KILN_DIALECT_KILN_DROPOUTHASH_H
