//===- LineChart.cpp - Line charts as SVG ---------------------------------===//
//
// Part of the Kiln project: an MLIR compiler for training programs.
//
//===----------------------------------------------------------------------===//
//
// renderLineChartSVG (see the header): fixed layout, data scaled into the
// plot area, polylines, ticks at round values.
//
//===----------------------------------------------------------------------===//

#include "kiln/Support/LineChart.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <sstream>

namespace kiln {

namespace {

constexpr double kWidth = 800, kHeight = 420;
constexpr double kLeft = 80, kRight = 20, kTop = 40, kBottom = 60;

std::string escape(const std::string &text) {
  std::string out;
  for (char c : text) {
    switch (c) {
    case '&': out += "&amp;"; break;
    case '<': out += "&lt;"; break;
    case '>': out += "&gt;"; break;
    case '"': out += "&quot;"; break;
    default: out += c;
    }
  }
  return out;
}

/// A tick label: integers as such, others with up to 3 significant digits.
std::string tickLabel(double value) {
  char buffer[32];
  if (std::fabs(value - std::round(value)) < 1e-9)
    std::snprintf(buffer, sizeof(buffer), "%.0f", value);
  else
    std::snprintf(buffer, sizeof(buffer), "%.3g", value);
  return buffer;
}

} // namespace

double roundTickStep(double value, int ticks) {
  if (value <= 0 || ticks <= 0)
    return 1;
  double raw = value / ticks;
  double magnitude = std::pow(10.0, std::floor(std::log10(raw)));
  for (double factor : {1.0, 2.0, 5.0, 10.0})
    if (factor * magnitude >= raw * (1 - 1e-12))
      return factor * magnitude;
  return 10 * magnitude;
}

std::string renderLineChartSVG(const LineChart &chart) {
  size_t points = 0;
  double maxValue = 0;
  for (const LineSeries &s : chart.series) {
    points = std::max(points, s.values.size());
    for (double v : s.values)
      maxValue = std::max(maxValue, v);
  }
  double yStep = roundTickStep(maxValue > 0 ? maxValue : 1, 5);
  double yMax = yStep * std::ceil((maxValue > 0 ? maxValue : 1) / yStep);
  double xMax = points > 1 ? double(points - 1) : 1;
  double xStep = roundTickStep(xMax, 8);
  double plotW = kWidth - kLeft - kRight, plotH = kHeight - kTop - kBottom;
  auto x = [&](double i) { return kLeft + plotW * i / xMax; };
  auto y = [&](double v) { return kTop + plotH * (1 - v / yMax); };

  std::ostringstream os;
  os.setf(std::ios::fixed);
  os.precision(1);
  os << "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" << kWidth
     << "\" height=\"" << kHeight << "\" viewBox=\"0 0 " << kWidth << " "
     << kHeight << "\" font-family=\"sans-serif\" font-size=\"12\">\n";
  os << "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n";
  os << "<text x=\"" << kWidth / 2 << "\" y=\"22\" text-anchor=\"middle\" "
     << "font-size=\"15\">" << escape(chart.title) << "</text>\n";
  // Grid and ticks.
  for (double v = 0; v <= yMax * (1 + 1e-9); v += yStep) {
    os << "<line x1=\"" << kLeft << "\" x2=\"" << kLeft + plotW << "\" y1=\""
       << y(v) << "\" y2=\"" << y(v) << "\" stroke=\"#ddd\"/>\n";
    os << "<text x=\"" << kLeft - 6 << "\" y=\"" << y(v) + 4
       << "\" text-anchor=\"end\">" << tickLabel(v) << "</text>\n";
  }
  for (double i = 0; i <= xMax * (1 + 1e-9); i += xStep)
    os << "<text x=\"" << x(i) << "\" y=\"" << kTop + plotH + 16
       << "\" text-anchor=\"middle\">" << tickLabel(i) << "</text>\n";
  os << "<rect x=\"" << kLeft << "\" y=\"" << kTop << "\" width=\"" << plotW
     << "\" height=\"" << plotH << "\" fill=\"none\" stroke=\"#444\"/>\n";
  os << "<text x=\"" << kLeft + plotW / 2 << "\" y=\"" << kHeight - 18
     << "\" text-anchor=\"middle\">" << escape(chart.xLabel) << "</text>\n";
  os << "<text transform=\"translate(18," << kTop + plotH / 2
     << ") rotate(-90)\" text-anchor=\"middle\">" << escape(chart.yLabel)
     << "</text>\n";
  // Series and legend.
  for (size_t k = 0; k < chart.series.size(); ++k) {
    const LineSeries &s = chart.series[k];
    if (!s.values.empty()) {
      os << "<polyline fill=\"none\" stroke-width=\"1.5\" stroke=\""
         << escape(s.color) << "\" points=\"";
      for (size_t i = 0; i < s.values.size(); ++i)
        os << (i ? " " : "") << x(double(i)) << "," << y(s.values[i]);
      os << "\"/>\n";
    }
    double ly = kTop + 16 + 18 * double(k);
    os << "<line x1=\"" << kLeft + plotW - 230 << "\" x2=\""
       << kLeft + plotW - 205 << "\" y1=\"" << ly - 4 << "\" y2=\"" << ly - 4
       << "\" stroke-width=\"2\" stroke=\"" << escape(s.color) << "\"/>\n";
    os << "<text x=\"" << kLeft + plotW - 200 << "\" y=\"" << ly << "\">"
       << escape(s.label) << "</text>\n";
  }
  os << "</svg>\n";
  return os.str();
}

} // namespace kiln
