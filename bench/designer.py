"""The designer's server side as a benchmark (issue 14): on a fresh SQLite file, for the largest file of processes/
and for the whole bundle (every file, as `make run` deploys them): engine.validate (the deploy checks, nothing
stored), engine.deploy of a changed copy (a new version each time), and engine.check_design of the largest process
as the modeller's «Проверить» asks it (its version's other files with it); the form editor's preview and draft save
(which checks what the change would break in the process). p50/p95 ms over `--reps` runs; it
asserts nothing.

    .venv/bin/python bench/designer.py            # ~1 min
    .venv/bin/python bench/designer.py --reps 5
"""
import argparse
import os
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.engine_cycle import aligned, make_app, migrate_and_load  # noqa: E402


def timed(call, reps: int) -> tuple[float, float]:
    walls = []
    for rep in range(reps + 1):
        started = time.perf_counter()
        call(rep)
        walls.append((time.perf_counter() - started) * 1000)
    walls = walls[1:]  # the first warms the caches
    return statistics.median(walls), statistics.quantiles(walls, n=20)[-1] if len(walls) > 1 else walls[0]


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=20)
    args = parser.parse_args(argv)
    files = sorted((ROOT / "processes").glob("*.bpmn"))
    largest = max(files, key=lambda p: p.stat().st_size)
    bundle = [(p.name, p.read_bytes()) for p in files]
    print(f"GIA Flow designer bench; Python {sys.version.split()[0]}, {os.cpu_count()} CPUs, load "
          f"{' '.join(f'{x:.2f}' for x in os.getloadavg())}; largest file {largest.name} "
          f"({largest.stat().st_size // 1024} KB), bundle of {len(files)} files", flush=True)
    with tempfile.TemporaryDirectory(prefix="gia-designer-") as tmp:
        app = make_app(f"sqlite:///{Path(tmp) / 'designer.db'}", Path(tmp))
        with app.app_context():
            import engine
            import forms
            migrate_and_load(app)
            engine.deploy(bundle, actor="designer")
            text = largest.read_text("utf-8")
            own = re.search(r'<bpmn:process\b[^>]*\bid="([^"]+)"', text)[1]

            report_form = forms.load_raw("plan_report")

            def with_field(rep: int) -> dict:  # the form editor's draft: one more field each time
                return {**report_form, "fields": [*report_form["fields"],
                                                  {"name": f"note_{rep}", "type": "text", "label": "Примечание"}]}

            def changed(rep: int) -> bytes:  # a comment makes each copy a new version, not the one deployed
                return (text + f"\n<!-- bench {rep} -->\n").encode("utf-8")
            rows = [("what", "p50 ms", "p95 ms")]
            for label, call in [
                (f"validate {largest.name}", lambda rep: engine.validate([(largest.name, changed(rep))])),
                (f"validate the bundle ({len(files)} files)", lambda rep: engine.validate(bundle)),
                (f"deploy the bundle, {largest.name} changed (a new version)",
                 lambda rep: engine.deploy([(n, changed(rep) if n == largest.name else c) for n, c in bundle],
                                           actor="designer", comment="bench")),
                (f"check_design {own}", lambda rep: engine.check_design(own, changed(rep).decode())),
                ("preview_form plan_report (the form editor's preview, parse only)",
                 lambda rep: engine.preview_form(with_field(rep))),
                ("save_form_design plan_report of plan_school_report (with what it would break)",
                 lambda rep: engine.save_form_design("plan_school_report", "plan_report", with_field(rep),
                                                     "designer", rep)),
            ]:
                p50, p95 = timed(call, args.reps)
                rows.append((label, f"{p50:.1f}", f"{p95:.1f}"))
            print(aligned(rows))


if __name__ == "__main__":
    main()
