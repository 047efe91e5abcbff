#!/usr/bin/python3
# ===- test/Inputs/check_loss_scaling.py - Dynamic loss scaling rules -----===#
#
# Part of the Kiln project: an MLIR compiler for training programs.
#
# ===-----------------------------------------------------------------------===#
#
#   check_loss_scaling.py LOG INITIAL_SCALE GROWTH_INTERVAL
#
# LOG holds kiln-run's per-step lines (--log-every 1) of a training step
# built with quantize=f16: "step N: loss=L skipped=K loss_scale_used=S".
# Replays PyTorch GradScaler's rule independently of Kiln: S starts at
# INITIAL_SCALE; a skipped step halves it and resets the clean count; after
# GROWTH_INTERVAL clean steps in a row it doubles. Checks that every step
# used the scale the rule gives, and that a skipped step left the weights
# alone: the next step's loss (same data) is bit-for-bit the skipped one's.
# Prints "loss scaling ok: ..." or the first violation (exit 1).
#
# ===-----------------------------------------------------------------------===#

import re
import sys


def main():
    log, scale, interval = sys.argv[1], float(sys.argv[2]), int(sys.argv[3])
    steps = [(int(n), l, int(float(k)), float(s)) for n, l, k, s in re.findall(
        r"^step (\d+): loss=(\S+) skipped=(\S+) loss_scale_used=(\S+)$",
        open(log).read(), re.M)]
    if not steps:
        print("no step lines in", log)
        return 1
    good, skips, growths = 0, 0, 0
    for i, (n, loss, skipped, used) in enumerate(steps):
        if used != scale:
            print(f"step {n}: used loss scale {used}, the rule gives {scale}")
            return 1
        if skipped:
            skips += 1
            if i + 1 < len(steps) and steps[i + 1][1] != loss:
                print(f"step {n} was skipped but the next loss changed: "
                      f"{loss} -> {steps[i + 1][1]}")
                return 1
            scale, good = scale / 2, 0
        else:
            good += 1
            if good == interval:
                scale, good = scale * 2, 0
                growths += 1
    print(f"loss scaling ok: {len(steps)} steps, {skips} skipped, "
          f"{growths} growths, final scale {scale:g}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
