"""The diff of two versions of the largest process (issue 14 §4), as the diff page computes it, timed in node
(bench/diff.mjs): version 2 is the file of processes/ with the most bytes, changed as a designer would change it
(a user task renamed, its form changed, a task added, a flow removed). p50/p95 ms over `--reps` runs of parsing both
files with bpmn-moddle and our spiffworkflow extension, of bpmn-js-differ's diff alone, and of the page's whole
comparison (the differ and our comparison of every element's properties, webui/frontend/version-changes.js). The
browser adds drawing both diagrams, which this leaves out. It asserts nothing; ~5 s.

    .venv/bin/python bench/diff.py
    .venv/bin/python bench/diff.py --reps 200
"""
import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def second_version(text: str) -> str:
    """The largest file with the changes a designer makes; each asserted, so the diff has something to find."""
    changed, renamed = re.subn(r'(<bpmn:userTask\b[^>]*\bname=")([^"]*)"', r'\1\2 (изменено)"', text, count=1)
    changed, reformed = re.subn(r'(<spiffworkflow:property name="form" value=")([^"]*)"', r'\1\2_v2"', changed,
                                count=1)
    changed, removed = re.subn(r'\s*<bpmn:sequenceFlow\b[^>]*/>', "", changed, count=1)
    changed, added = re.subn(r'(<bpmn:process\b[^>]*>)', r'\1<bpmn:task id="bench_added" name="Добавлено"/>',
                             changed, count=1)
    assert (renamed, reformed, removed, added) == (1, 1, 1, 1)
    return changed


def percentiles(walls: list[float]) -> tuple[float, float]:
    return statistics.median(walls), statistics.quantiles(walls, n=20)[-1]


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=100)
    args = parser.parse_args(argv)
    node = shutil.which("node")
    if node is None:
        sys.exit("node is not installed")
    largest = max((ROOT / "processes").glob("*.bpmn"), key=lambda p: p.stat().st_size)
    text = largest.read_text("utf-8")
    print(f"GIA Flow diff bench; node {subprocess.check_output([node, '--version'], text=True).strip()}, "
          f"{os.cpu_count()} CPUs, load {' '.join(f'{x:.2f}' for x in os.getloadavg())}; "
          f"{largest.name} ({len(text.encode()) // 1024} KB) against a changed copy, {args.reps} runs", flush=True)
    with tempfile.TemporaryDirectory(prefix="gia-diff-") as tmp:
        old, new = Path(tmp) / "old.bpmn", Path(tmp) / "new.bpmn"
        old.write_text(text, "utf-8")
        new.write_text(second_version(text), "utf-8")
        out = subprocess.run([node, "--no-warnings", str(ROOT / "bench" / "diff.mjs"), str(old), str(new),
                              str(args.reps)], cwd=ROOT, check=True, capture_output=True, text=True).stdout
    found = json.loads(out)
    print(f"found: {found['counts']}")
    width = 62
    print(f"{'what':<{width}} {'p50 ms':>8} {'p95 ms':>8}")
    for key, label in (("parse", "parse both files (bpmn-moddle + spiffworkflow extension)"),
                       ("differ", "bpmn-js-differ diff()"),
                       ("changes", "the page's comparison (differ + every element's properties)")):
        p50, p95 = percentiles(found[key])
        print(f"{label:<{width}} {p50:>8.2f} {p95:>8.2f}")


if __name__ == "__main__":
    main()
