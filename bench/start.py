"""CPU per start of an instance, from the activity's launch page (POST /activities/<id>) and through the REST API
(POST /api/v1/processes/<id>/instances), when the activity has 10 and 1,000 instances (issue 12 §6: a start
costs the same at either). In-process (Flask's test client) on a fresh SQLite file, so the figure is the whole
process's CPU per request, the client's small share included; nothing is timed against a target.

    .venv/bin/python bench/start.py                          # this tree
    .venv/bin/python bench/start.py --tree /tmp/gia-before   # another checkout of GIA Flow, e.g. before a change
    .venv/bin/python bench/start.py --sizes 10 1000 --starts 30

The process is scenario A1's PPE check (processes/ppe_tech_check.bpmn), started by the department's specialist
`iao` for ppe-17; the instances beyond the measured ones are started with engine.start, as many as a size needs.
A tree without the API's start answers "n/a".
"""
import argparse
import os
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

DATA = {"check_due": "2021-03-19", "fix_days": 7, "recheck_days": 3}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tree", type=Path, default=Path(__file__).resolve().parent.parent)
    parser.add_argument("--sizes", type=int, nargs="+", default=[10, 1000])
    parser.add_argument("--starts", type=int, default=30, help="starts measured per size and way")
    args = parser.parse_args()
    tree = args.tree.resolve()
    sys.path.insert(0, str(tree))
    os.chdir(tree)
    print(f"tree {tree}; load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    with tempfile.TemporaryDirectory(prefix="gia-bench-start-") as work:
        app = _app(Path(work))
        with app.app_context():
            _org()
            web, api = _web_client(app), _api_client(app)
            _measure(web, 3), _measure(api, 3)  # warm: the spec cache, the form, the first statements compiled
            print(f"{'instances':>10} {'web POST CPU ms':>16} {'API POST CPU ms':>16}   (median of {args.starts})")
            for size in args.sizes:
                have = _grow_to(size)
                web_ms = _measure(web, args.starts)
                api_ms = _measure(api, args.starts)
                print(f"{have:>10,} {_shown(web_ms):>16} {_shown(api_ms):>16}")
    print(f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


def _app(work: Path):
    import logging
    from flask_migrate import upgrade
    from webui import create_app
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{work / 'start.sqlite3'}", "TESTING": True,
                      "UPLOAD_DIR": work / "uploads", "SECRET_KEY": "bench", "GIA_CLOCK": "manual"})
    logging.disable(logging.INFO)  # the migration's progress lines
    with app.app_context():
        upgrade()
    logging.disable(logging.NOTSET)
    return app


def _org() -> None:
    from datetime import datetime
    import engine
    from cli.demo import PPE_HOSTS, USERS, ensure_city
    from engine import clock
    from engine.db import db
    ensure_city(sorted({12, 17, 33, *PPE_HOSTS[:4]}), (12, 17), auditoriums=lambda n: 2)
    for login, role, unit, name in USERS:
        engine.ensure_user(login, role, unit, password="demo", full_name=name)
    processes = Path("processes")
    engine.deploy([(p.name, p.read_bytes()) for p in sorted(processes.glob("*.bpmn"))], actor="admin")
    clock.set_mode("manual", datetime.fromisoformat("2021-03-15T09:00:00+03:00"))
    db.session.commit()


def _grow_to(size: int) -> int:
    """Start instances until the activity has `size` (none removed if it has more); returns how many it has."""
    import engine
    from engine.db import db
    from engine.models import ProcessInstance
    from sqlalchemy import func, select
    have = db.session.scalar(select(func.count()).where(ProcessInstance.process_id == "ppe_tech_check"))
    for _ in range(size - have):
        engine.start("ppe_tech_check", DATA, unit="ppe-17", actor="iao")
    db.session.commit()
    return max(have, size)


def _web_client(app):
    """A post of the launch form as iao's browser sends it, signed in, with its CSRF token."""
    client = app.test_client()
    token = _csrf(client.get("/login"))
    client.post("/login", data={"login": "iao", "password": "demo", "csrf_token": token})
    token = _csrf(client.get("/activities/ppe_tech_check"))
    form = {"csrf_token": token, "units": "ppe-17", **{k: str(v) for k, v in DATA.items()}}
    return lambda: client.post("/activities/ppe_tech_check", data=form).status_code == 302


def _api_client(app):
    import engine
    from engine.db import db
    _row, token = engine.create_token(engine.user_by_login("iao"), "bench", None)
    db.session.commit()
    client = app.test_client()
    headers = {"Authorization": f"Bearer {token}"}
    body = {"unit": "ppe-17", "data": DATA}
    return lambda: client.post("/api/v1/processes/ppe_tech_check/instances", json=body,
                               headers=headers).status_code == 201


def _measure(post, starts: int) -> list[float] | None:
    """CPU ms of each post; None when the tree answers it with anything but a start."""
    from flask import g
    spent = []
    for _ in range(starts):
        for name in list(g):  # the app context is shared with the engine calls above; a server starts afresh
            g.pop(name)
        before = time.process_time()
        if not post():
            return None
        spent.append((time.process_time() - before) * 1000)
    return spent


def _shown(spent: list[float] | None) -> str:
    return "n/a" if spent is None else f"{statistics.median(spent):.1f}"


def _csrf(response) -> str:
    return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', response.get_data(as_text=True)).group(1)


if __name__ == "__main__":
    main()
