"""The dry run before deploy as a benchmark (issue 14 §3): on a fresh SQLite file with the demo's organisation and
every file of processes/ deployed as `make run` deploys them, engine.dry_run of each plan pattern as the modeller's
«Пробный прогон» asks it (its diagram with the other files of its version): the runs it makes and seconds p50/p95
over `--reps` dry runs. It asserts nothing; the first dry run of each (warming the caches) is not counted.

    .venv/bin/python bench/dry_run.py            # ~30 s
    .venv/bin/python bench/dry_run.py --reps 3 plan_order
"""
import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.engine_cycle import aligned, make_app, migrate_and_load  # noqa: E402

PATTERNS = ("plan_school_report", "plan_dept_task", "plan_order", "plan_order_ack", "plan_year_activity",
            "ppe_tech_check")


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=10)
    parser.add_argument("processes", nargs="*", default=PATTERNS)
    args = parser.parse_args(argv)
    files = sorted((ROOT / "processes").glob("*.bpmn"))
    print(f"GIA Flow dry-run bench; Python {sys.version.split()[0]}, {os.cpu_count()} CPUs, load "
          f"{' '.join(f'{x:.2f}' for x in os.getloadavg())}; {args.reps} dry runs of each", flush=True)
    with tempfile.TemporaryDirectory(prefix="gia-dry-run-") as tmp:
        app = make_app(f"sqlite:///{Path(tmp) / 'dry_run.db'}", Path(tmp))
        with app.app_context():
            import engine
            migrate_and_load(app)
            engine.deploy([(p.name, p.read_bytes()) for p in files], actor="designer")
            rows = [("process", "runs", "ended", "findings", "p50 s", "p95 s")]
            for process_id in args.processes:
                xml = (ROOT / "processes" / f"{process_id}.bpmn").read_text("utf-8")
                report = engine.dry_run(process_id, xml)  # warms the caches (forms, roles, the sandbox)
                walls = []
                for _ in range(args.reps):
                    started = time.perf_counter()
                    report = engine.dry_run(process_id, xml)
                    walls.append(time.perf_counter() - started)
                p95 = statistics.quantiles(walls, n=20)[-1] if len(walls) > 1 else walls[0]
                rows.append((process_id, len(report.runs), sum(r.ended for r in report.runs), len(report.issues),
                             f"{statistics.median(walls):.3f}", f"{p95:.3f}"))
            print(aligned(rows))


if __name__ == "__main__":
    main()
