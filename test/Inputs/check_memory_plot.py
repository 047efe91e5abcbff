#!/usr/bin/python3
# ===- test/Inputs/check_memory_plot.py - Check a kiln-run --plot SVG -----===#
#
# Part of the Kiln project: an MLIR compiler for training programs.
#
# ===-----------------------------------------------------------------------===#
#
#   check_memory_plot.py FILE.svg LINES
#
# Parses the SVG as XML, requires LINES polylines (one per series) and
# prints, per series, its legend label, its number of points and its peak
# in the chart's units (read back from the y axis: the tick labels and
# their positions give the scale), e.g.
#   series 'as compiled': 470 points, peak 36.0
#
# ===-----------------------------------------------------------------------===#

import sys
import xml.etree.ElementTree as ET

NS = "{http://www.w3.org/2000/svg}"


def main():
    path, want = sys.argv[1], int(sys.argv[2])
    root = ET.parse(path).getroot()
    lines = root.findall(f"{NS}polyline")
    if len(lines) != want:
        sys.exit(f"{path}: {len(lines)} polylines, expected {want}")
    # The y axis: tick labels (text-anchor end) and their baselines.
    ticks = [(float(t.get("y")) - 4, float(t.text))
             for t in root.findall(f"{NS}text")
             if t.get("text-anchor") == "end"]
    (y0, v0), (y1, v1) = ticks[0], ticks[-1]
    scale = (v1 - v0) / (y1 - y0)
    # Legend entries follow the plot: their text sits after a short line.
    labels = [t.text for t in root.findall(f"{NS}text")
              if t.get("text-anchor") is None][-want:]
    for label, line in zip(labels, lines):
        ys = [float(p.split(",")[1]) for p in line.get("points").split()]
        peak = v0 + (min(ys) - y0) * scale
        print(f"series '{label}': {len(ys)} points, peak {peak:.1f}")


main()
