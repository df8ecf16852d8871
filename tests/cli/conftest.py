"""Driving the real `flask gia` command line as a subprocess, the way outside checkers do, on a fresh database per
test (the primary backend: PostgreSQL when DATABASE_URL names one, else SQLite).

Each CLI call starts a Python process (about a second), so tests read what a command prints (`complete` lists the
next tasks) rather than asking again, run independent commands side by side (`gia.together`: other instances,
read-only views), and create the few users a test needs in-process.
"""
import json
import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from config import BASE_DIR
from tests.conftest import PRIMARY, make_app

DIAGRAMS = Path(__file__).parent / "diagrams"
_FLASK = Path(sys.executable).with_name("flask")
FLASK = [str(_FLASK if _FLASK.exists() else BASE_DIR / ".venv" / "bin" / "flask"), "--app", "wsgi", "gia"]


class CliError(AssertionError):
    pass


class Gia:
    """Runs `flask gia …` against one database. `gia(...)` expects success and returns the parsed --json output;
    `gia.fails(...)` expects exit status 1 and returns the `error: …` lines."""

    def __init__(self, env: dict):
        self.env = env

    def run(self, *args, data=None) -> subprocess.CompletedProcess:
        argv = [*FLASK, *map(str, args)]
        if data is not None:
            argv += ["--data", data if isinstance(data, str) else json.dumps(data)]
        return subprocess.run(argv, cwd=BASE_DIR, env=self.env, capture_output=True, text=True, timeout=120)

    def __call__(self, *args, data=None):
        done = self.run(*args, "--json", data=data)
        if done.returncode != 0:
            raise CliError(f"flask gia {' '.join(map(str, args))} exited {done.returncode}:\n{done.stderr}")
        return json.loads(done.stdout)

    def fails(self, *args, data=None) -> list[str]:
        """Run without --json: exit status 1, and every stderr line is an `error: …` line."""
        done = self.run(*args, data=data)
        assert done.returncode == 1, (args, done.returncode, done.stdout, done.stderr)
        lines = done.stderr.strip().splitlines()
        assert lines and all(line.startswith("error: ") for line in lines), done.stderr
        assert "Traceback" not in done.stderr
        return [line[len("error: "):] for line in lines]

    def fails_json(self, *args, data=None) -> list[str]:
        """Run with --json: exit status 1 and {"errors": [...]}."""
        done = self.run(*args, "--json", data=data)
        assert done.returncode == 1, (args, done.returncode, done.stdout, done.stderr)
        errors = json.loads(done.stderr)["errors"]
        assert errors and all(isinstance(e, str) and e for e in errors)
        return errors

    @staticmethod
    def together(*calls):
        """Run independent commands at the same time (each a no-argument callable); their results, in order.
        Only for commands that touch different instances or only read: the engine serialises the rest anyway."""
        with ThreadPoolExecutor(max_workers=len(calls)) as pool:
            futures = [pool.submit(call) for call in calls]
            return [future.result() for future in futures]

    # The commands, spelled as the contract spells them.
    def deploy(self, *names):
        return self("deploy", *[DIAGRAMS / name for name in names])

    def start(self, bpmn_id, data=None, unit=None):
        return self("start", bpmn_id, *(["--unit", unit] if unit else []), data=data)["instance_id"]

    def tasks(self, instance=None, user=None, all=False):
        args = ["tasks"]
        if instance is not None:
            args += ["--instance", instance]
        if user is not None:
            args += ["--user", user]
        if all:
            args.append("--all")
        return self(*args)

    def complete(self, task, user="admin", data=None):
        return self("complete", task["id"] if isinstance(task, dict) else task, "--user", user, data=data)

    def show(self, instance_id):
        return self("instance", "show", instance_id)

    def message(self, name, data=None, instance=None):
        return self("message", name, *(["--instance", instance] if instance else []), data=data)["delivered_to"]

    def signal(self, name, data=None):
        return self("signal", name, data=data)["delivered_to"]

    def tick(self, now):
        return self("timers", "tick", "--now", now)


@pytest.fixture
def gia(backends, tmp_path):
    """The CLI on an empty, migrated database with the administrator `admin`; `gia.users(...)` adds more."""
    url = backends(PRIMARY).fresh(tmp_path)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GIA_", "FLASK_"))}
    env.update(DATABASE_URL=url, GIA_VAR_DIR=str(tmp_path / "var"), UPLOAD_DIR=str(tmp_path / "uploads"),
               GIA_CLOCK="manual", PYTHONWARNINGS="ignore")
    runner = Gia(env)
    app = make_app(url, tmp_path)

    def users(*specs):
        """(login, role) or (login, role, unit) created in-process: the same engine call as `user create`."""
        import engine
        from engine.db import db
        with app.app_context():
            for login, role, *unit in specs:
                if unit:
                    from cli.people import ensure_unit_named
                    ensure_unit_named(unit[0])
                engine.ensure_user(login, role, unit[0] if unit else None)
            db.session.remove()

    def clock(at: str):
        """Start the manual clock at `at` (`flask gia clock manual --now` does the same)."""
        from datetime import datetime
        from engine import clock as engine_clock
        from engine.db import db
        with app.app_context():
            engine_clock.set_mode("manual", datetime.fromisoformat(at))
            db.session.commit()
            db.session.remove()

    runner.users, runner.clock = users, clock
    users(("admin", "admin"))
    yield runner
    with app.app_context():
        from engine.db import db
        db.engine.dispose()


def by_bpmn_id(tasks: list[dict]) -> dict[str, dict]:
    """{bpmn_id: task}, refusing duplicates (use a list comprehension for multi-instance tasks)."""
    found = {}
    for task in tasks:
        assert task["bpmn_id"] not in found, f"two tasks {task['bpmn_id']}"
        found[task["bpmn_id"]] = task
    return found
