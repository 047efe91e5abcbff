# Checks the peaks that test/Execution/remat.test collects: the plain
# step's peak_bytes, then the rematerialized run's kiln-remat remark,
# peak_bytes and measured_peak_bytes. Prints "within budget" when the run's
# planned and measured peaks are at most FRACTION x the plain one and equal
# to the arena in the remark.
import re
import sys

text = open(sys.argv[1]).read()
fraction = float(sys.argv[2])
plain, run = [int(v) for v in re.findall(r"^peak_bytes=(\d+)", text, re.M)]
measured = int(re.search(r"^measured_peak_bytes=(\d+)", text, re.M).group(1))
before, after, budget = (int(v) for v in re.search(
    r"planned arena (\d+) -> (\d+) bytes \(budget (\d+)", text).groups())
target = int(fraction * plain)
ok = (before == plain and budget == target and run == after and
      measured <= run and run <= target)
print("within budget" if ok else "NOT WITHIN BUDGET", plain, run, measured,
      before, after, budget, target)
