//===- Progress.cpp - A progress line for long loops ----------------------===//
//
// Part of the Kiln project: an MLIR compiler for training programs.
//
//===----------------------------------------------------------------------===//
//
// ProgressLine (see the header).
//
//===----------------------------------------------------------------------===//

#include "kiln/Runtime/Progress.h"

#include <unistd.h>

namespace kiln {

ProgressLine::ProgressLine(std::string tool, std::string unit, uint64_t total,
                           bool enabled, double interval, FILE *out)
    : tool(std::move(tool)), unit(std::move(unit)), total(total),
      enabled(enabled), terminal(isTerminal(out)), interval(interval),
      out(out), start(std::chrono::steady_clock::now()), lastPrint(start) {}

ProgressLine::~ProgressLine() { finish(); }

bool ProgressLine::isTerminal(FILE *out) { return isatty(fileno(out)) == 1; }

std::string ProgressLine::format(uint64_t done, double seconds) const {
  char text[160];
  double rate = seconds > 0 ? double(done) / seconds : 0;
  int percent = total ? int(100.0 * double(done) / double(total)) : 100;
  int n = std::snprintf(text, sizeof(text), "%s: %s %llu/%llu (%d%%)",
                        tool.c_str(), unit.c_str(),
                        static_cast<unsigned long long>(done),
                        static_cast<unsigned long long>(total), percent);
  if (rate > 0 && n > 0 && size_t(n) < sizeof(text)) {
    int m = std::snprintf(text + n, sizeof(text) - n, ", %.3g %ss/s", rate,
                          unit.c_str());
    if (m > 0 && done < total && size_t(n + m) < sizeof(text))
      std::snprintf(text + n + m, sizeof(text) - n - m, ", ETA %.0f s",
                    double(total - done) / rate);
  }
  return text;
}

void ProgressLine::print(uint64_t done, bool final) {
  double seconds = std::chrono::duration<double>(
                       std::chrono::steady_clock::now() - start)
                       .count();
  std::string line = format(done, seconds);
  if (terminal)
    std::fprintf(out, "\r%s\x1b[K%s", line.c_str(), final ? "\n" : "");
  else
    std::fprintf(out, "%s\n", line.c_str());
  std::fflush(out);
}

void ProgressLine::update(uint64_t done) {
  last = done;
  if (!enabled || finished)
    return;
  auto now = std::chrono::steady_clock::now();
  if (std::chrono::duration<double>(now - lastPrint).count() < interval)
    return;
  lastPrint = now;
  print(done, /*final=*/false);
}

void ProgressLine::finish() {
  if (!enabled || finished)
    return;
  finished = true;
  print(last, /*final=*/true);
}

} // namespace kiln
