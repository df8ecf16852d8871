"""How much CPU a `flask gia …` command spends before it acts (a benchmark, not a test).

Each command is run as `flask --app wsgi …` in a fresh Python process on a fresh migrated SQLite file, through a
small wrapper that notes the process's CPU time (user + system) when click invokes the command's own function:
everything before that point (starting Python, importing, building the app, parsing options) is the fixed price
of a command, the rest is its work. The total CPU of the process is printed too. Each command runs `--runs`
times; the minimum and the median are printed (the minimum is the least disturbed by other processes), with the
load average at the start and at the end.
Target (issue 12 §7): under 0.5 s before acting.

Python's compiled bytecode: an installed copy (or a checkout after its first run) reads the project's modules from
`__pycache__`; an environment with PYTHONDONTWRITEBYTECODE set compiles them again in every process (~0.1 s more
per command here). By default the commands run with a bytecode cache of their own in the temporary directory
(PYTHONPYCACHEPREFIX, warmed by an untimed first run of each command), as installed; `--no-bytecode-cache` runs
them without one.

    .venv/bin/python bench/cli_start.py               # ~30 s on an idle 2-core machine
    .venv/bin/python bench/cli_start.py --runs 3
    .venv/bin/python bench/cli_start.py --no-bytecode-cache
"""
import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DIAGRAM = ROOT / "tests" / "cli" / "diagrams" / "expense_approval.bpmn"

COMMANDS = {
    "tasks": ["gia", "tasks", "--json"],
    "timers tick": ["gia", "timers", "tick", "--now", "2020-12-10T10:00+03:00", "--json"],
    "instance show (missing)": ["gia", "instance", "show", "1", "--json"],
    "deploy": ["gia", "deploy", str(DIAGRAM), "--json"],
}

# Runs `flask` as its console script does, and writes the CPU seconds spent when the first command that is not a
# group is invoked (the command itself, after every group above it has run) to the file named by argv[1].
WRAPPER = """
import resource, sys, click
out, sys.argv = sys.argv[1], ["flask", *sys.argv[2:]]
invoke = click.Command.invoke
def noted(self, ctx):
    if not isinstance(self, click.Group) and not getattr(noted, "done", False):
        noted.done = True
        usage = resource.getrusage(resource.RUSAGE_SELF)
        with open(out, "w") as f:
            f.write(repr(usage.ru_utime + usage.ru_stime))
    return invoke(self, ctx)
click.Command.invoke = noted
from flask.cli import main
main()
"""


BYTECODE = {"cache": True}  # set from --no-bytecode-cache


def environment(workdir: Path) -> dict:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("GIA_", "FLASK_", "DATABASE_URL", "CELERY_", "PYTHONPYCACHEPREFIX"))}
    env.update(GIA_VAR_DIR=str(workdir / "var"), DATABASE_URL=f"sqlite:///{workdir / 'gia.sqlite3'}",
               UPLOAD_DIR=str(workdir / "uploads"), GIA_CLOCK="manual", PYTHONWARNINGS="ignore")
    if BYTECODE["cache"]:
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        env["PYTHONPYCACHEPREFIX"] = str(workdir / "pycache")  # not the working tree's __pycache__
    else:
        env["PYTHONDONTWRITEBYTECODE"] = "1"
    return env


def migrate(workdir: Path) -> Path:
    """One migrated database, copied for every run."""
    template = workdir / "template.sqlite3"
    env = environment(workdir)
    env["DATABASE_URL"] = f"sqlite:///{template}"
    subprocess.run([sys.executable, "-m", "flask", "--app", "wsgi", "db", "upgrade"], cwd=ROOT, env=env,
                   check=True, capture_output=True)
    return template


def run_once(workdir: Path, template: Path, args: list[str]) -> tuple[float, float]:
    """(CPU seconds before the command acted, CPU seconds of the whole process)."""
    (workdir / "gia.sqlite3").write_bytes(template.read_bytes())
    mark = workdir / "before.txt"
    mark.unlink(missing_ok=True)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    done = subprocess.run([sys.executable, "-c", WRAPPER, str(mark), "--app", "wsgi", *args], cwd=ROOT,
                          env=environment(workdir), capture_output=True, text=True)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode not in (0, 1) or not mark.exists():
        raise SystemExit(f"flask {' '.join(args)} failed ({done.returncode}):\n{done.stderr}")
    total = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return float(mark.read_text()), total


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    parser.add_argument("--no-bytecode-cache", action="store_true",
                        help="compile the modules in every process (PYTHONDONTWRITEBYTECODE)")
    options = parser.parse_args()
    BYTECODE["cache"] = not options.no_bytecode_cache
    figures, load_before = {}, os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="gia-bench-cli-") as tmp:
        workdir = Path(tmp)
        template = migrate(workdir)
        for name, args in COMMANDS.items():
            if BYTECODE["cache"]:
                run_once(workdir, template, args)  # compiles what this command imports, untimed
            runs = [run_once(workdir, template, args) for _ in range(options.runs)]
            before, total = [r[0] for r in runs], [r[1] for r in runs]
            figures[name] = {"before_min": min(before), "before_median": statistics.median(before),
                             "total_min": min(total), "total_median": statistics.median(total)}
    load = {"before": load_before, "after": os.getloadavg()[0]}
    bytecode = "cached" if BYTECODE["cache"] else "compiled in every process"
    if options.json:
        print(json.dumps({"load_average": load, "bytecode": bytecode, "commands": figures}, indent=2))
        return
    print(f"CPU seconds of `flask --app wsgi …`, {options.runs} runs each (min / median), bytecode {bytecode}; load "
          f"average {load['before']:.1f} before, {load['after']:.1f} after (other processes inflate every figure)")
    print(f"{'command':26} {'before acting':>16} {'whole process':>16}")
    for name, f in figures.items():
        print(f"{name:26} {f['before_min']:7.2f} / {f['before_median']:5.2f} "
              f"{f['total_min']:7.2f} / {f['total_median']:5.2f}")


if __name__ == "__main__":
    main()
