#!/usr/bin/python3
# ===- scripts/conformance.py - ONNX backend-test conformance runner -------===#
#
# Part of the Kiln project: an MLIR compiler for training programs.
#
# ===-----------------------------------------------------------------------===#
#
# Runs `kiln-run CASE/model.onnx --test-data CASE/test_data_set_N` for every
# ONNX backend-test case under a root directory (default: Debian's
# libonnx-testdata node tests) and every data set of it, in parallel, and
# prints a pass/fail table per op and a total line:
#
#   conformance: P passed, F failed (X crashes, Y hangs) of N cases (Z%)
#
# A case passes when every data set exits 0. Otherwise it is classified by
# its worst data set: crash (a signal or an exit code other than 0/1/2) >
# hang (per-run timeout) > error (exit 2, unsupported or malformed; the first
# line of stderr is the reason) > mismatch (exit 1).
#
# Needs Debian's python3-onnx, so run it with /usr/bin/python3:
#   /usr/bin/python3 scripts/conformance.py [ROOT] [-j N] [--timeout S]
#       [--filter REGEX] [--kiln-run PATH] [--kiln-args "ARGS"]
#       [--markdown docs/conformance.md] [--json FILE] [--fail-on-crash] [-v]
#
# Exits 0 whatever the results, unless --fail-on-crash is given and some
# case crashed or hung (exit 1); a missing kiln-run or root is exit 2.
#
# ===-----------------------------------------------------------------------===#

import argparse
import concurrent.futures
import json
import os
import re
import shlex
import signal
import subprocess
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_ROOT = "/usr/share/libonnx-testdata/data/node"
DEFAULT_KILN_RUN = REPO_ROOT / "build" / "bin" / "kiln-run"

# Op types that do not name what a case tests; left out of its op key unless
# nothing else remains.
TRIVIAL_OPS = {"Constant", "Identity"}
UNPARSEABLE = "(unparseable)"

# Outcomes, most severe first: a case takes the worst outcome of its data sets.
SEVERITY = ["crash", "hang", "error", "mismatch", "pass"]

REASON_LIMIT = 120


def find_cases(root, pattern):
    """Case directories (holding model.onnx) under root whose name matches."""
    cases = []
    for entry in sorted(Path(root).iterdir()):
        if not (entry / "model.onnx").is_file():
            continue
        if pattern and not pattern.search(entry.name):
            continue
        cases.append(entry)
    return cases


def data_sets(case):
    """The test_data_set_* directories of a case, in numeric order."""
    def index(path):
        suffix = path.name.rsplit("_", 1)[-1]
        return int(suffix) if suffix.isdigit() else 1 << 30

    return sorted((p for p in case.glob("test_data_set_*") if p.is_dir()),
                  key=index)


def op_key(model_path):
    """'Op' or 'OpA+OpB' for the node op types of a model's main graph."""
    try:
        import onnx
        model = onnx.load(str(model_path), load_external_data=False)
    except Exception:  # Any parse failure: the case is filed apart.
        return UNPARSEABLE
    ops = {node.op_type for node in model.graph.node}
    meaningful = ops - TRIVIAL_OPS
    ops = meaningful or ops
    return "+".join(sorted(ops)) if ops else "(empty graph)"


def first_line(text):
    for line in text.splitlines():
        if line.strip():
            return line.strip()
    return ""


def signal_name(number):
    try:
        return signal.Signals(number).name
    except ValueError:
        return "signal %d" % number


def run_one(kiln_run, extra_args, case, data_set, timeout):
    """Runs kiln-run once; returns (outcome, reason)."""
    command = [str(kiln_run), str(case / "model.onnx")]
    if data_set is not None:
        command += ["--test-data", str(data_set)]
    command += extra_args
    try:
        proc = subprocess.Popen(command, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE,
                                stdin=subprocess.DEVNULL,
                                start_new_session=True)
    except OSError as err:
        return "crash", "cannot start %s: %s" % (kiln_run, err)
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        # Kill the whole session, in case kiln-run started children.
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except OSError:
            proc.kill()
        proc.communicate()
        return "hang", "timeout after %gs" % timeout
    stdout = out.decode("utf-8", errors="replace")
    stderr = err.decode("utf-8", errors="replace")
    code = proc.returncode
    if code == 0:
        return "pass", ""
    if code == 1:
        mismatch = next((line.strip() for line in stdout.splitlines()
                         if "MISMATCH" in line), "")
        return "mismatch", mismatch or first_line(stderr) or "exit 1"
    if code == 2:
        return "error", first_line(stderr) or first_line(stdout) or "exit 2"
    what = signal_name(-code) if code < 0 else "exit code %d" % code
    detail = first_line(stderr)
    return "crash", what + (": " + detail if detail else "")


def worst(results):
    """The most severe (outcome, reason) of a case's data-set results."""
    return min(results, key=lambda r: SEVERITY.index(r[0]))


def run_all(cases, kiln_run, extra_args, jobs, timeout, verbose):
    """Runs every data set of every case; returns {case: (outcome, reason)}."""
    per_case = {case: [] for case in cases}
    with concurrent.futures.ThreadPoolExecutor(max_workers=jobs) as pool:
        futures = {}
        for case in cases:
            sets = data_sets(case) or [None]
            for data_set in sets:
                future = pool.submit(run_one, kiln_run, extra_args, case,
                                     data_set, timeout)
                futures[future] = case
        done = 0
        for future in concurrent.futures.as_completed(futures):
            per_case[futures[future]].append(future.result())
            done += 1
            if verbose and sys.stderr.isatty():
                print("\r%d/%d runs" % (done, len(futures)), end="",
                      file=sys.stderr, flush=True)
        if verbose and sys.stderr.isatty():
            print(file=sys.stderr)
    return {case: worst(results) for case, results in per_case.items()}


def summarize(outcomes, ops):
    """Per-op rows: [op, cases, passed, failed, first reason]."""
    rows = {}
    for case in sorted(outcomes, key=lambda c: c.name):
        outcome, reason = outcomes[case]
        row = rows.setdefault(ops[case], [ops[case], 0, 0, 0, ""])
        row[1] += 1
        if outcome == "pass":
            row[2] += 1
            continue
        row[3] += 1
        if not row[4]:
            text = "%s: %s [%s]" % (outcome, reason, case.name)
            row[4] = text if len(text) <= REASON_LIMIT else \
                text[:REASON_LIMIT - 3] + "..."
    return [rows[op] for op in sorted(rows, key=str.lower)]


def total_line(outcomes):
    n = len(outcomes)
    counts = {kind: 0 for kind in SEVERITY}
    for outcome, _ in outcomes.values():
        counts[outcome] += 1
    passed = counts["pass"]
    percent = 100.0 * passed / n if n else 0.0
    return ("conformance: %d passed, %d failed (%d crashes, %d hangs) "
            "of %d cases (%.1f%%)" % (passed, n - passed, counts["crash"],
                                      counts["hang"], n, percent)), counts


def format_text_table(rows):
    header = ["op", "cases", "passed", "failed", "first reason"]
    # Long keys (expanded function bodies) overflow rather than widen all.
    op_width = min(40, max([len(header[0])] + [len(r[0]) for r in rows]))
    lines = ["%-*s %6s %6s %6s  %s" % (op_width, *header)]
    lines.append("-" * (op_width + 23 + len(header[4])))
    for op, cases, passed, failed, reason in rows:
        lines.append("%-*s %6d %6d %6d  %s" % (op_width, op, cases, passed,
                                               failed, reason))
    return "\n".join(lines)


def markdown_escape(text):
    return text.replace("|", "\\|").replace("\n", " ")


def format_markdown(rows, total, root, extra_args):
    lines = ["# ONNX conformance", "",
             "Generated by `scripts/conformance.py` over `%s`%s." %
             (root, " with `%s`" % " ".join(extra_args) if extra_args else ""),
             "", "**%s**" % total, "",
             "| op | cases | passed | failed | first reason |",
             "| --- | ---: | ---: | ---: | --- |"]
    for op, cases, passed, failed, reason in rows:
        lines.append("| %s | %d | %d | %d | %s |" %
                     (markdown_escape(op), cases, passed, failed,
                      markdown_escape(reason)))
    return "\n".join(lines) + "\n"


def parse_args(argv):
    parser = argparse.ArgumentParser(
        description="Run kiln-run over ONNX backend-test cases and print a "
                    "per-op pass/fail table.")
    parser.add_argument("root", nargs="?", default=DEFAULT_ROOT,
                        help="directory of case folders (default: %(default)s)")
    parser.add_argument("-j", "--jobs", type=int, default=os.cpu_count() or 1,
                        help="parallel runs (default: number of CPUs)")
    parser.add_argument("--timeout", type=float, default=60.0,
                        help="seconds per run before it counts as a hang "
                             "(default: %(default)s)")
    parser.add_argument("--filter", metavar="REGEX",
                        help="only cases whose folder name matches (search)")
    parser.add_argument("--kiln-run", default=str(DEFAULT_KILN_RUN),
                        help="kiln-run binary (default: %(default)s)")
    parser.add_argument("--kiln-args", default="",
                        help="extra arguments for kiln-run, e.g. "
                             "\"--target cpu\"")
    parser.add_argument("--markdown", metavar="FILE",
                        help="also write the table as markdown")
    parser.add_argument("--json", metavar="FILE",
                        help="also write every case's outcome as JSON")
    parser.add_argument("--fail-on-crash", action="store_true",
                        help="exit 1 if any case crashed or hung")
    parser.add_argument("-v", "--verbose", action="store_true",
                        help="list every failing case and show progress")
    return parser.parse_args(argv)


def main(argv):
    args = parse_args(argv)
    root = Path(args.root)
    if not root.is_dir():
        print("conformance.py: no such directory: %s" % root, file=sys.stderr)
        return 2
    kiln_run = Path(args.kiln_run)
    if not (kiln_run.is_file() and os.access(kiln_run, os.X_OK)):
        print("conformance.py: kiln-run not found or not executable: %s "
              "(build it or pass --kiln-run)" % kiln_run, file=sys.stderr)
        return 2
    try:
        pattern = re.compile(args.filter) if args.filter else None
    except re.error as err:
        print("conformance.py: bad --filter: %s" % err, file=sys.stderr)
        return 2
    extra_args = shlex.split(args.kiln_args)

    cases = find_cases(root, pattern)
    ops = {case: op_key(case / "model.onnx") for case in cases}
    outcomes = run_all(cases, kiln_run, extra_args, max(1, args.jobs),
                       args.timeout, args.verbose)

    rows = summarize(outcomes, ops)
    total, counts = total_line(outcomes)
    if args.verbose:
        for case in sorted(outcomes, key=lambda c: c.name):
            outcome, reason = outcomes[case]
            if outcome != "pass":
                print("%-8s %s: %s" % (outcome.upper(), case.name, reason))
        print()
    print(format_text_table(rows))
    print()
    print(total)

    if args.markdown:
        Path(args.markdown).parent.mkdir(parents=True, exist_ok=True)
        Path(args.markdown).write_text(
            format_markdown(rows, total, root, extra_args))
    if args.json:
        Path(args.json).write_text(json.dumps(
            {case.name: {"op": ops[case], "outcome": outcomes[case][0],
                         "reason": outcomes[case][1]}
             for case in sorted(outcomes, key=lambda c: c.name)},
            indent=1) + "\n")

    if args.fail_on_crash and (counts["crash"] or counts["hang"]):
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
