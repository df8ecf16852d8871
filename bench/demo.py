"""The demo of `make run` as a benchmark: a fresh SQLite database in a temporary directory, migrated, then
`flask gia demo --plan-until 2020-12-04` (the 2020/21 plan lived from 1 September on the manual clock), each a
subprocess of the real CLI as `make run` starts it. It prints the wall seconds of each step, the simulated days,
seconds per simulated day, completions/s, peak RSS and the load average; the demo's own progress lines (one per
simulated week) pass through on stderr. It asserts nothing; the issue's target is the first `make run` serving in
< 3 minutes on a 2-core machine, package installation included.

    .venv/bin/python bench/demo.py                       # the demo of `make run`
    .venv/bin/python bench/demo.py --until 2020-10-01    # a shorter autumn
    .venv/bin/python bench/demo.py --profile /tmp/demo.prof   # under cProfile; prints the top functions
"""
import argparse
import json
import os
import pstats
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = ROOT / ".venv" / "bin" / "python"
FLASK = ROOT / ".venv" / "bin" / "flask"
DEMO_DATE = "2020-12-04"  # the Makefile's DEMO_DATE


def load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def timed(argv, env) -> tuple[float, bytes, object]:
    """Wall seconds, stdout and resource usage of one command; its stderr goes to ours."""
    started = time.perf_counter()
    proc = subprocess.Popen(argv, cwd=ROOT, env=env, stdout=subprocess.PIPE)
    out = proc.stdout.read()
    _pid, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - started
    if status != 0:
        raise SystemExit(f"{' '.join(map(str, argv[:4]))} … failed: {out.decode()[-2000:]}")
    return wall, out, usage


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--until", default=DEMO_DATE, help=f"the demo date (default {DEMO_DATE})")
    parser.add_argument("--profile", metavar="FILE", help="run the demo under cProfile, write its stats to FILE")
    args = parser.parse_args(argv)
    print(f"GIA Flow demo up to {args.until}; Python {sys.version.split()[0]}, {os.cpu_count()} CPUs, "
          f"load average {load()} at start", flush=True)
    with tempfile.TemporaryDirectory(prefix="gia-demo-") as tmp:
        env = {**os.environ, "DATABASE_URL": f"sqlite:///{Path(tmp) / 'gia.sqlite3'}", "GIA_VAR_DIR": tmp,
               "UPLOAD_DIR": str(Path(tmp) / "uploads"), "FLASK_APP": "wsgi"}
        env.pop("GIA_CLOCK", None)  # as `make run`: the demo sets the manual clock itself
        migrate, _out, _usage = timed([str(FLASK), "db", "upgrade"], env)
        demo = [str(FLASK), "gia", "demo", "--plan-until", args.until, "--json"]
        if args.profile:
            demo = [str(PYTHON), "-m", "cProfile", "-o", args.profile, *demo]
        wall, out, usage = timed(demo, env)
        report = json.loads(out)
        db_mb = (Path(tmp) / "gia.sqlite3").stat().st_size / 1e6
    days, done = report["simulated_days"], report["completions"]
    print(f"\n{'step':<28} {'wall s':>8}\n{'flask db upgrade':<28} {migrate:>8.1f}\n"
          f"{'flask gia demo':<28} {wall:>8.1f}   (living the plan: {report['seconds']:.1f} s)")
    print(f"\nsimulated days {days}, completions {done}, {report['seconds'] / days:.2f} s per simulated day, "
          f"{done / report['seconds']:.1f} completions/s, CPU {usage.ru_utime + usage.ru_stime:.1f} s, "
          f"peak RSS {usage.ru_maxrss / 1024:.0f} MB, database {db_mb:.0f} MB")
    print(f"load average {load()} at the end")
    if args.profile:
        pstats.Stats(args.profile).sort_stats("cumulative").print_stats(25)


if __name__ == "__main__":
    main()
