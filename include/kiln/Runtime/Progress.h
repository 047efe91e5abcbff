//===- Progress.h - A progress line for long loops --------------*- C++ -*-===//
//
// Part of the Kiln project: an MLIR compiler for training programs.
//
//===----------------------------------------------------------------------===//
//
// "kiln-run: step 37/200 (18%), 41.2 steps/s, ETA 4 s" on stderr while a
// training or benchmark loop runs: redrawn in place on a terminal, one line
// per interval otherwise (logs), and always a final line. Plain C++ (the
// LLVM-free kiln-step uses it too).
//
//===----------------------------------------------------------------------===//

#ifndef KILN_RUNTIME_PROGRESS_H
#define KILN_RUNTIME_PROGRESS_H

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <string>

namespace kiln {

class ProgressLine {
public:
  /// `tool` prefixes the line, `unit` names what is counted ("step"),
  /// `total` is the count at the end. Nothing is printed unless `enabled`.
  /// `interval` seconds pass between lines (redraws on a terminal).
  ProgressLine(std::string tool, std::string unit, uint64_t total,
               bool enabled, double interval = 1.0, FILE *out = stderr);
  ~ProgressLine();

  /// `done` units are finished; prints when the interval has passed.
  void update(uint64_t done);
  /// Prints the final line (once).
  void finish();

  /// The text of the line after `done` units in `seconds`.
  std::string format(uint64_t done, double seconds) const;

  /// Whether `out` is a terminal (where the line is redrawn in place).
  static bool isTerminal(FILE *out);

private:
  void print(uint64_t done, bool final);

  std::string tool, unit;
  uint64_t total;
  bool enabled, terminal, finished = false;
  double interval;
  FILE *out;
  uint64_t last = 0;
  std::chrono::steady_clock::time_point start, lastPrint;
};

} // namespace kiln

#endif // KILN_RUNTIME_PROGRESS_H
