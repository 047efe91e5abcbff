//===- LineChart.h - Line charts as SVG -------------------------*- C++ -*-===//
//
// Part of the Kiln project: an MLIR compiler for training programs.
//
//===----------------------------------------------------------------------===//
//
// A small, dependency-free SVG line chart: a few series of values over the
// same x positions (0, 1, 2, ...), axes with round tick values, a legend.
// kiln-run --plot draws live activation bytes over a step's schedule with
// it.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_SUPPORT_LINECHART_H
#define KILN_SUPPORT_LINECHART_H

#include <string>
#include <vector>

namespace kiln {

struct LineSeries {
  std::string label;
  std::vector<double> values;
  /// An SVG color ("#1f77b4").
  std::string color;
};

struct LineChart {
  std::string title;
  std::string xLabel;
  std::string yLabel;
  std::vector<LineSeries> series;
};

/// The chart as a standalone SVG document (800 x 420 user units). Text is
/// escaped; empty series are drawn as legend entries only.
std::string renderLineChartSVG(const LineChart &chart);

/// The smallest "round" number (1, 2 or 5 times a power of ten) that is at
/// least `value` / `ticks`: the spacing of `ticks` axis ticks up to `value`.
double roundTickStep(double value, int ticks);

} // namespace kiln

#endif // KILN_SUPPORT_LINECHART_H
