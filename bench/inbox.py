"""How fast the inbox is with a city's worth of open tasks, through the service layer and over HTTP (a benchmark,
not a test: it asserts nothing about time).

In a throwaway PostgreSQL schema (created, migrated with Flask-Migrate, dropped at the end) it loads:

  - the organisation: the department and its four subdepartments (cli.demo.DEPARTMENTS), 60 schools, 20 PPE
    hosted by schools (cli.demo.PPE_HOSTS), 3,000 users with their memberships: department heads and
    specialists (city-wide roles), a head and three coordinators per school, two heads (often the host school's
    head) and six technicians per PPE, and teachers (a unit role no task uses) up to 3,000; passwords only for
    the two users the HTTP part signs in as; a few absences with deputies, snoozes, notifications, saved filters;
  - 100,000 open (READY) human tasks of ~50,000 instances of 8 activities, with roles, units, due dates spread
    over the year (about one in eight overdue, 3 % without a due date), names, `columns`, 12 % claimed; 1 % of
    the instances suspended or failed (their tasks must not show); the engine's predictions of the next tasks
    (WAITING rows, no due date); and by default half as many completed tasks of completed instances (some of
    the history a year leaves in human_task: it changes the plans).

The rows are written with SQLAlchemy Core inserts (executemany in batches of 5,000), NOT through the engine:
starting ~50,000 instances through engine.start would take the best part of an hour. The engine's own tables and
migrations are used, so the inbox reads what it reads in production. ANALYZE runs afterwards.

Then it measures, for a school head (head17: school_head of school-17, ppe_head of ppe-17 which it hosts, and
deputy of an absent coordinator of school-17) and a department specialist (iao: iao_specialist, a city-wide role):
  (S) engine.inbox(user, InboxQuery(...)) inside an app context: page 1 with a filter (overdue, an activity, a
      due date range), p50/p95/max ms and the CPU time of this process per call, over N calls after a warm-up;
      and the three tab counts as webui.inbox computes them (three more engine.inbox calls);
  (T) the page GET /<filter> in-process through Flask's test client: its cost without network or gunicorn, and
      the number of SQL statements it sends;
  (H) GET /<filter> under load: gunicorn with 2 sync workers as a subprocess, signed in over HTTP (CSRF token
      from GET /login, then POST), `wrk` if installed (else a Python client with threads and http.client) on
      loopback for a bounded time; req/s, p50/p95/p99 latency, errors. The responses are checked to be the inbox
      (not the login page) before and after the load.
Each of them also measures a proposal, interleaved with the code as it is (rows marked [proposal]):
proposed_inbox() below, another SQL shape for engine.service.inbox.inbox, and install_proposal(), which also
reads the clock and the memberships once per request and counts the tabs without loading pages.

Targets (issue): p95 < 20 ms for the query; ≥ 300 req/s for the HTTP inbox page with gunicorn on 2 workers.

    .venv/bin/python bench/inbox.py              # full: 100k open tasks, 10 s of load per row (~3 min idle)
    .venv/bin/python bench/inbox.py --quick      # 20k open tasks, 3 s of load per row (~1 min)
    .venv/bin/python bench/inbox.py --explain    # also EXPLAIN (ANALYZE, BUFFERS) every statement on human_task
    .venv/bin/python bench/inbox.py --upgrade-to 0003   # the schema before migration 0004 (before/after)
    .venv/bin/python bench/inbox.py --drop-index ix_human_task_due_at --no-parallel   # other experiments
    .venv/bin/python bench/inbox.py --pg-url postgresql://host:5432/db  # default: $DATABASE_URL, else 127.0.0.1
"""
import argparse
import gc
import logging
import os
import random
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from datetime import date, datetime, timedelta
from http.client import HTTPConnection
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

DEFAULT_PG = "postgresql://127.0.0.1:5432/test"
PASSWORD = "bench"
TARGET_P95_MS = 20.0
TARGET_RPS = 300.0
HTTP_PATHS = {"head": "/?overdue=1", "spec": "/?process_id=ppe_tech_check"}
BATCH = 5000

# Activities: (process_id, name, unit kind of the instance, [(bpmn_id, task name, role, unit: own|host|none)]).
# "host" is the school hosting the instance's PPE (a PPE check's fix task goes to the host school's head).
PROCESSES = [
    ("ppe_tech_check", "Проверка технической готовности ППЭ", "ppe", [
        ("checklist", "Заполнить чек-лист технической готовности", "ppe_tech", "own"),
        ("accept", "Принять проверку ППЭ", "iao_specialist", "own"),
        ("fix", "Устранить замечания по ППЭ", "school_head", "host"),
        ("sign", "Подписать акт готовности ППЭ", "ppe_head", "own")]),
    ("ppe_readiness", "Готовность ППЭ к экзамену", "ppe", [
        ("staff", "Подтвердить состав работников ППЭ", "ppe_head", "own"),
        ("stations", "Проверить станции печати и сканирования", "ppe_tech", "own"),
        ("agree", "Согласовать готовность ППЭ", "iao_specialist", "own"),
        ("approve", "Утвердить готовность ППЭ", "iao_head", "own")]),
    ("exam_materials", "Доставка экзаменационных материалов", "ppe", [
        ("receive", "Принять экзаменационные материалы", "ppe_head", "own"),
        ("key", "Загрузить ключ доступа к материалам", "ppe_tech", "own"),
        ("confirm", "Подтвердить доставку материалов", "iao_specialist", "own")]),
    ("school_report", "Отчёт ОУ о подготовке к ГИА", "school", [
        ("fill", "Заполнить отчёт ОУ", "school_coordinator", "own"),
        ("approve", "Утвердить отчёт ОУ", "school_head", "own"),
        ("check", "Проверить отчёт ОУ", "mo_specialist", "own"),
        ("grades", "Проверить раздел об успеваемости", "ooo_specialist", "own")]),
    ("gia_registration", "Регистрация участников ГИА", "school", [
        ("enter", "Внести участников в РИС", "school_coordinator", "own"),
        ("sign", "Подписать списки участников", "school_head", "own"),
        ("reconcile", "Сверить списки участников", "iao_specialist", "own")]),
    ("appeal_review", "Рассмотрение апелляции", "school", [
        ("forward", "Передать апелляцию", "school_coordinator", "own"),
        ("register", "Зарегистрировать апелляцию", "iao_specialist", "own"),
        ("commission", "Назначить конфликтную комиссию", "iao_head", "none"),
        ("decide", "Утвердить решение по апелляции", "guo_head", "none")]),
    ("staff_training", "Обучение работников ППЭ", "school", [
        ("send", "Направить работников на обучение", "school_head", "own"),
        ("mark", "Отметить прохождение обучения", "school_coordinator", "own"),
        ("confirm", "Подтвердить обучение", "mo_specialist", "own")]),
    ("monitoring_visit", "Мониторинговый визит", "school", [
        ("visit", "Провести мониторинговый визит", "odovr_specialist", "own"),
        ("review", "Ознакомиться с итогами визита", "school_head", "own"),
        ("note", "Подготовить справку по визиту", "ooo_specialist", "own"),
        ("upload", "Загрузить документы ОУ", None, "own")]),
]
PROCESS_WEIGHTS = [14, 10, 10, 16, 16, 8, 12, 14]
DEPARTMENT_STAFF = [("guo_head", "guo", 1), ("guo_deputy", "guo", 3), ("iao_head", "iao", 1),
                    ("iao_specialist", "iao", 12), ("mo_head", "mo", 1), ("mo_specialist", "mo", 10),
                    ("ooo_head", "ooo", 1), ("ooo_specialist", "ooo", 10), ("odovr_head", "odovr", 1),
                    ("odovr_specialist", "odovr", 8), ("admin", None, 1), ("designer", "iao", 1)]
SURNAMES = ["Алиев", "Магомедов", "Гасанов", "Омаров", "Исаев", "Курбанов", "Абдуллаев", "Рамазанов", "Гаджиев",
            "Ибрагимов", "Шамилов", "Юсупов", "Мусаев", "Сулейманов", "Керимов", "Агаев", "Халилов", "Рашидов"]


# ----------------------------------------------------------------------------------------------- the data

class Org:
    """Who is who: filled by load_org, read by load_tasks and the measurements."""
    def __init__(self):
        self.unit_ids: dict[str, int] = {}
        self.holders: dict[tuple[str, str | None], list[int]] = {}  # (role, unit) → user ids; city roles: unit None
        self.users = 0
        self.memberships = 0
        self.head_id = self.spec_id = 0


def make_app(url: str, workdir: Path):
    from webui import create_app
    return create_app({"SQLALCHEMY_DATABASE_URI": url, "UPLOAD_DIR": workdir / "uploads", "SECRET_KEY": "bench",
                       "GIA_CLOCK": "real", "TESTING": True})


def migrate(revision: str):
    from flask_migrate import upgrade
    logging.disable(logging.INFO)  # alembic's "Running upgrade" lines
    try:
        upgrade(revision=revision)
    finally:
        logging.disable(logging.NOTSET)


def load_org(rng: random.Random, n_users: int) -> Org:
    import engine
    from cli.demo import DEPARTMENTS, PPE_HOSTS, SCHOOLS
    from engine import clock, roles, store
    from engine.db import db
    from engine.models import Absence, Membership, Unit, User
    from werkzeug.security import generate_password_hash

    org = Org()
    with store.transaction():
        for code, name, kind, parent in DEPARTMENTS:
            engine.ensure_unit(code, name, kind, parent)
        for n in range(1, SCHOOLS + 1):
            engine.ensure_unit(f"school-{n}", f"МБОУ «СОШ №{n}»", "school", "guo")
        for n in PPE_HOSTS:
            engine.ensure_unit(f"ppe-{n}", f"ППЭ №{n} (на базе СОШ №{n})", "ppe", "guo", host=f"school-{n}",
                               attrs={"number": n, "auditoriums": 2 + n % 4})
    org.unit_ids = dict(db.session.execute(db.select(Unit.code, Unit.id)).all())
    now = clock.now()
    users, members = [], []

    def person(login, full_name=None, password=None):
        uid = len(users) + 1
        users.append({"id": uid, "login": login, "full_name": full_name or f"{rng.choice(SURNAMES)} "
                      f"{rng.choice('АБВГДЗИКЛМНОПРСТ')}.{rng.choice('АБВГДЗИКЛМНОПРСТ')}.",
                      "email": f"{login}@gia.example", "active": True, "email_opt_out": False, "created_at": now,
                      "password_hash": generate_password_hash(password) if password else None})
        return uid

    def member(uid, role, unit):
        members.append({"user_id": uid, "role": role, "unit_id": org.unit_ids[unit] if unit else None})
        key = (role, None if roles.is_city_wide(role) else unit)
        org.holders.setdefault(key, []).append(uid)

    for role, unit, count in DEPARTMENT_STAFF:
        for k in range(count):
            login = "iao" if role == "iao_specialist" and k == 0 else f"{role}{k + 1}"
            uid = person(login, password=PASSWORD if login == "iao" else None)
            member(uid, role, unit)
            if login == "iao":
                org.spec_id = uid
    heads = {}
    for n in range(1, SCHOOLS + 1):
        login = "head17" if n == 17 else f"head{n}"
        heads[n] = uid = person(login, password=PASSWORD if n == 17 else None)
        member(uid, "school_head", f"school-{n}")
        for k in range(3):
            member(person(f"coord{n}_{k + 1}"), "school_coordinator", f"school-{n}")
    org.head_id = heads[17]
    for n in PPE_HOSTS:
        if n % 2 == 1 or n == 17:  # the host school's head runs the PPE (head17 does)
            member(heads[n], "ppe_head", f"ppe-{n}")
        else:
            member(person(f"ppehead{n}"), "ppe_head", f"ppe-{n}")
        member(person(f"ppereserve{n}"), "ppe_head", f"ppe-{n}")
        for k in range(6):
            member(person(f"tech{n}_{k + 1}"), "ppe_tech", f"ppe-{n}")
    k = 0
    while len(users) < n_users:
        k += 1
        n = rng.randint(1, SCHOOLS)
        member(person(f"teacher{k}"), "teacher", f"school-{n}")
    db.session.execute(User.__table__.insert(), users)
    db.session.execute(Membership.__table__.insert(), members)
    # Absences: head17 stands in for an absent coordinator of school-17; a few others elsewhere.
    today = now.date()
    absent = [(org.holders[("school_coordinator", "school-17")][0], org.head_id)]
    absent += [(org.holders[("school_coordinator", f"school-{n}")][1], heads[n]) for n in (3, 9, 40)]
    absent += [(org.holders[("iao_specialist", None)][3], org.holders[("iao_specialist", None)][4])]
    db.session.execute(Absence.__table__.insert(), [
        {"user_id": a, "deputy_id": d, "starts_on": today - timedelta(days=2), "ends_on": today + timedelta(days=12),
         "created_at": now} for a, d in absent])
    db.session.execute(db.text("SELECT setval(pg_get_serial_sequence('\"user\"', 'id'), :n)"), {"n": len(users)})
    db.session.commit()
    org.users, org.memberships = len(users), len(members)
    return org


def load_tasks(rng: random.Random, org: Org, n_open: int, n_history: int, deployment_id: int, sha: str) -> dict:
    """Instances and their human tasks, open ones and (optionally) completed history, in batches."""
    from cli.demo import PPE_HOSTS, SCHOOLS
    from engine import clock, roles
    from engine.db import db
    from engine.models import HumanTask, Notification, ProcessInstance, SavedFilter, TaskSnooze

    now = clock.now()
    schools = [f"school-{n}" for n in range(1, SCHOOLS + 1)]
    ppes = [f"ppe-{n}" for n in PPE_HOSTS]
    stats = {"instances": 0, "open": 0, "history": 0, "waiting": 0, "overdue": 0, "claimed": 0, "hidden": 0,
             "roles": {}}
    instances, tasks = [], []
    snooze_candidates = {org.head_id: [], org.spec_id: []}
    head_units = {"school-17", "ppe-17"}
    city = {role for *_x, templates in PROCESSES for _b, _n, role, _w in templates if roles.is_city_wide(role)}

    def flush(final=False):
        if len(tasks) >= BATCH or final:
            conn = db.session.connection()  # Core, not the ORM's bulk path: plain executemany
            if instances:
                conn.execute(ProcessInstance.__table__.insert(), instances)
            if tasks:
                conn.execute(HumanTask.__table__.insert(), tasks)
            db.session.commit()
            instances.clear()
            tasks.clear()

    def instance(history: bool):
        process_id, pname, kind, templates = rng.choices(PROCESSES, weights=PROCESS_WEIGHTS)[0]
        unit = rng.choice(ppes if kind == "ppe" else schools)
        host = f"school-{unit.split('-')[1]}" if kind == "ppe" else unit
        created = now - timedelta(days=rng.uniform(0, 120) + (365 if history else 0))
        iid = stats["instances"] + 1
        stats["instances"] = iid
        status = "completed" if history else rng.choices(
            ["running", "waiting", "suspended", "error"], weights=[96, 2, 1, 1])[0]
        instances.append({
            "id": iid, "deployment_id": deployment_id, "definition_sha": sha, "process_id": process_id,
            "process_name": pname, "unit_code": unit, "status": status, "status_text": None, "error": None,
            "failed_action": None, "state": "{}", "serializer_version": "bench", "lock_version": 1, "waits": None,
            "next_timer_at": None, "started_by": "iao", "created_at": created, "updated_at": created,
            "completed_at": created + timedelta(days=30) if history else None})
        picked = rng.sample(templates, rng.randint(1, 3))
        # An active instance also has the engine's predictions of its next tasks: WAITING rows, no due date.
        waiting = [] if history else [t for t in templates if t not in picked][:rng.randint(0, 2)]
        for seq, (bpmn_id, name, role, where) in enumerate(waiting, start=len(picked)):
            label = f"ППЭ №{unit.split('-')[1]}" if kind == "ppe" else f"СОШ №{unit.split('-')[1]}"
            tasks.append({
                "id": str(uuid.UUID(int=rng.getrandbits(128), version=4)), "instance_id": iid, "seq": seq + 1,
                "bpmn_id": bpmn_id, "name": f"{name} — {label}", "lane": role, "role": role,
                "unit_code": {"own": unit, "host": host, "none": None}[where], "form_key": f"{process_id}.{bpmn_id}",
                "state": "WAITING", "due_at": None, "assignee_id": None, "process_id": process_id,
                "created_at": created, "completed_at": None, "completed_by": None, "columns": None})
            stats["waiting"] += 1
        for seq, (bpmn_id, name, role, where) in enumerate(picked):
            task_unit = {"own": unit, "host": host, "none": None}[where]
            if rng.random() < 0.03:
                due = None
            elif history:
                due = created + timedelta(days=rng.uniform(5, 60))
            else:  # about 12 % overdue, the rest up to ten months ahead
                due = now + timedelta(days=rng.uniform(-45, 320))
            task_created = min(now, (due or now) - timedelta(days=rng.uniform(3, 60))) if not history else created
            key = (role, None if role in city else task_unit)
            assignee = None
            if not history and rng.random() < 0.12 and org.holders.get(key):
                assignee = rng.choice(org.holders[key])
            tid = str(uuid.UUID(int=rng.getrandbits(128), version=4))
            label = f"ППЭ №{unit.split('-')[1]}" if kind == "ppe" else f"СОШ №{unit.split('-')[1]}"
            tasks.append({
                "id": tid, "instance_id": iid, "seq": seq + 1, "bpmn_id": bpmn_id,
                "name": f"{name} — {label}", "lane": role,
                "role": role, "unit_code": task_unit, "form_key": f"{process_id}.{bpmn_id}",
                "state": "COMPLETED" if history else "READY", "due_at": due, "assignee_id": assignee,
                "process_id": process_id, "created_at": task_created,
                "completed_at": (created + timedelta(days=rng.uniform(1, 30))) if history else None,
                "completed_by": "bench" if history else None,
                "columns": {"ППЭ" if kind == "ppe" else "ОУ": label}})
            if history:
                stats["history"] += 1
            else:
                stats["open"] += 1
                stats["roles"][role] = stats["roles"].get(role, 0) + 1
                stats["overdue"] += due is not None and due < now
                stats["claimed"] += assignee is not None
                stats["hidden"] += status in ("suspended", "error")
                if status in ("running", "waiting"):
                    if role in ("school_head", "ppe_head") and task_unit in head_units:
                        snooze_candidates[org.head_id].append(tid)
                    if role == "iao_specialist":
                        snooze_candidates[org.spec_id].append(tid)
        flush()

    while stats["open"] < n_open:
        instance(False)
    while stats["history"] < n_history:
        instance(True)
    flush(final=True)
    db.session.execute(db.text("SELECT setval(pg_get_serial_sequence('process_instance', 'id'), :n)"),
                       {"n": stats["instances"]})
    # Snoozes: 15 of head17's tasks, 40 of the specialists', some in the past (expired).
    snoozes = []
    for uid, count in ((org.head_id, 15), (org.spec_id, 40)):
        for tid in rng.sample(snooze_candidates[uid], min(count, len(snooze_candidates[uid]))):
            snoozes.append({"task_id": tid, "user_id": uid,
                            "until": now + timedelta(days=rng.choice([-3, 2, 5, 10, 20]))})
    db.session.execute(TaskSnooze.__table__.insert(), snoozes)
    # Notifications addressed to roles in units, as diagrams raise them.
    notes = []
    for k in range(5000):
        role, unit = rng.choice(list(org.holders))
        notes.append({"created_at": now - timedelta(minutes=k * 7), "instance_id": rng.randint(1, stats["instances"]),
                      "kind": rng.choice(["reminder", "escalation", "info"]), "role": role, "unit_code": unit,
                      "text": "Напоминание: срок задачи истекает"})
    db.session.execute(Notification.__table__.insert(), notes)
    filters = [{"name": f"Фильтр {k}", "owner_id": rng.choice([org.head_id, org.spec_id, rng.randint(1, org.users)]),
                "scope": rng.choice(["private", "unit", "department"]), "unit_code": "school-17",
                "params": {"overdue": True}, "created_at": now} for k in range(30)]
    db.session.execute(SavedFilter.__table__.insert(), filters)
    db.session.commit()
    stats["snoozes"] = len(snoozes)
    return stats


def deploy_catalogue():
    """The real A1 diagram (one real deployment) and the other activities as its siblings for the filter bar."""
    import engine
    from engine.db import db
    from engine.models import DeployedProcess, Deployment
    path = ROOT / "processes" / "ppe_tech_check.bpmn"
    result = engine.deploy([(path.name, path.read_bytes())], actor="admin")
    deployment = db.session.get(Deployment, result.version)
    db.session.execute(DeployedProcess.__table__.insert(), [
        {"deployment_id": deployment.id, "bpmn_id": pid, "name": name, "kind": "process", "start_events": []}
        for pid, name, _kind, _tasks in PROCESSES if pid != "ppe_tech_check"])
    db.session.commit()
    return deployment.id, deployment.sha256


# ------------------------------------------------------------------------------------ measurement helpers

class Timing:
    def __init__(self, label, persona, samples, note="", statements=0, cpu=None):
        self.label, self.persona, self.samples, self.note, self.statements = label, persona, samples, note, statements
        self.cpu = cpu or []  # this process's CPU time per sample: the Python side (SQLAlchemy, Jinja, ...)

    @property
    def cpu_ms(self):
        return statistics.median(self.cpu) * 1000 if self.cpu else float("nan")

    def pct(self, q):
        ordered = sorted(self.samples)
        return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


class StatementCounter:
    """Counts (and optionally keeps) the SQL statements the engine sends."""
    def __init__(self, engine_):
        from sqlalchemy import event
        self.engine, self.count, self.keep, self.kept = engine_, 0, False, []
        event.listen(engine_, "before_cursor_execute", self._on)

    def _on(self, conn, cursor, statement, parameters, context, executemany):
        self.count += 1
        if self.keep:
            self.kept.append((statement, parameters))

    def close(self):
        from sqlalchemy import event
        event.remove(self.engine, "before_cursor_execute", self._on)


def scenarios(today: date):
    """(label, persona key, InboxQuery kwargs): first page with a filter, as the filter bar sends them."""
    soon = today + timedelta(days=30)
    return [
        ("available, overdue", "head", {"tab": "available", "overdue": True}),
        ("available, activity", "head", {"tab": "available", "process_id": "school_report"}),
        ("group, due ≤ +30 d", "head", {"tab": "group", "due_to": soon}),
        ("available, overdue", "spec", {"tab": "available", "overdue": True}),
        ("available, activity", "spec", {"tab": "available", "process_id": "ppe_tech_check"}),
        ("group, due ≤ +30 d", "spec", {"tab": "group", "due_to": soon}),
        ("available, unfiltered", "spec", {"tab": "available"}),
    ]


# --------------------------------------------------------------- a proposal for engine/service/inbox.py

PROPOSED_CAP = 1000


def _sort_keys(c, sort, due=None):
    """engine.service.inbox.SORTS over a column collection (the table's or the union's); `due`: an expression
    to sort by instead of c.due_at."""
    due = c.due_at if due is None else due
    return {"due": (due.asc().nulls_last(), c.id), "-due": (due.desc().nulls_last(), c.id),
            "created": (c.created_at.asc(), c.id), "-created": (c.created_at.desc(), c.id),
            "name": (c.name.asc(), c.id), "unit": (c.unit_code.asc().nulls_last(), due.asc().nulls_last(), c.id)}[sort]


def proposed_inbox(user, query=None, held=None, page_items=True, count=True):
    """A PROPOSAL for engine.service.inbox.inbox, measured beside it (rows marked "proposal"); the app does not
    use it. The same tasks in the same order, with another SQL shape:
      1. the clock and the memberships are read once (inbox() reads engine_setting twice per call);
      2. the tasks offered by a city-wide role r are a branch of their own per role, `role = r`, ordered and
         limited inside the branch: an index on (state, role, due_at, id) yields them in page order, so a page
         costs ~ its 50 rows whatever the size of the city or of the history;
      3. everything else (the unit roles' cells, tasks with no role, the user's claimed tasks) is one branch
         whose set is bounded by the user's units (a few thousand tasks at most); its ORDER BY is fenced
         (coalesce(due_at, due_at)) so that PostgreSQL fetches the set through ix_human_task_offer and sorts it,
         instead of walking a due-date index over the whole table hoping to meet 50 matches early (it misjudges
         how few match: with a year of history the walk reads the whole table);
      4. no JOIN with process_instance: the tasks of suspended or failed instances are left out with NOT EXISTS
         over those few instances (the engine leaves no READY task in a completed or cancelled instance);
      5. the count is capped at 1,000 ("1000+") instead of 10,000.
    """
    from sqlalchemy import and_, exists, func, or_, select, union_all
    from sqlalchemy.orm import selectinload

    from engine import clock, roles
    from engine.assignment import memberships
    from engine.db import db
    from engine.models import HumanTask as T, ProcessInstance as P, TaskSnooze
    from engine.models.instance import InstanceStatus
    from engine.service.inbox import InboxPage, InboxQuery, _day_start, _escape_like

    query = query or InboxQuery()
    now = clock.now()
    if held is None:
        held = memberships(user, on=now.astimezone(clock.local_zone()).date())
    common = [T.state == "READY",
              ~exists().where(P.id == T.instance_id, P.status.in_((InstanceStatus.SUSPENDED, InstanceStatus.ERROR)))]
    if query.process_id:
        common.append(T.process_id == query.process_id)
    if query.unit:
        common.append(T.unit_code == query.unit)
    if query.overdue:
        common.append(T.due_at < now)
    if query.due_from:
        common.append(T.due_at >= _day_start(query.due_from))
    if query.due_to:
        common.append(T.due_at < _day_start(query.due_to + timedelta(days=1)))
    if query.text:
        common.append(T.name.ilike(f"%{_escape_like(query.text)}%", escape="\\"))
    snoozed = exists().where(TaskSnooze.task_id == T.id, TaskSnooze.user_id == user.id, TaskSnooze.until > now)
    common.append(snoozed if query.snoozed else ~snoozed)

    city = sorted({h.role for h in held if roles.is_city_wide(h.role)}) if user.active else []
    local = []  # engine.assignment.offered_filter without the city-wide roles
    if user.active:
        units = sorted({h.unit for h in held if h.unit})
        local.append(and_(T.role.is_(None), or_(T.unit_code.is_(None), T.unit_code.in_(units))))
        for role in sorted({h.role for h in held if not roles.is_city_wide(h.role)}):
            role_units = sorted({h.unit for h in held if h.role == role and h.unit})
            local.append(and_(T.role == role, or_(T.unit_code.is_(None), T.unit_code.in_(role_units))))
    mine = T.assignee_id == user.id
    if city:  # claimed tasks of a city-wide role come with that role's branch
        mine = and_(mine, or_(T.role.is_(None), T.role.notin_(city)))
    if query.tab == "mine":
        branches = [(T.assignee_id == user.id, False)]
    elif query.tab == "group":
        branches = [(and_(T.assignee_id.is_(None), or_(*local)), True)] if local else []
        branches += [(and_(T.assignee_id.is_(None), T.role == r), False) for r in city]
    else:
        branches = [(or_(*local, mine), True)] + [(T.role == r, False) for r in city]
    if not branches:
        return InboxPage([], 0, False, query, {})
    end = query.page * query.per_page
    table = T.__table__
    keys = (table.c.id, table.c.due_at, table.c.created_at, table.c.name, table.c.unit_code)

    def ordered(c, fenced):  # fenced: by an expression that no index yields in order
        return _sort_keys(c, query.sort, func.coalesce(c.due_at, c.due_at) if fenced else None)

    def union(selects):
        if len(selects) == 1:
            return selects[0].subquery("inbox")
        return union_all(*[select(s.subquery()) for s in selects]).subquery("inbox")  # portable: SQLite too

    items = []
    if page_items:  # ids in page order from the narrow union, then the rows by primary key
        rows = union([select(*keys).where(*common, cond).order_by(*ordered(table.c, fenced)).limit(end)
                      for cond, fenced in branches])
        ids = list(db.session.scalars(select(rows.c.id).order_by(*_sort_keys(rows.c, query.sort))
                                      .offset(end - query.per_page).limit(query.per_page)))
        found = {t.id: t for t in db.session.scalars(select(T).where(T.id.in_(ids))
                                                     .options(selectinload(T.assignee)))} if ids else {}
        items = [found[i] for i in ids]
    total = 0
    if count:
        ids = union([select(table.c.id).where(*common, cond).limit(PROPOSED_CAP + 1) for cond, _f in branches])
        total = db.session.scalar(select(func.count()).select_from(
            select(ids.c.id).limit(PROPOSED_CAP + 1).subquery()))
    until = dict(db.session.execute(select(TaskSnooze.task_id, TaskSnooze.until).where(
        TaskSnooze.user_id == user.id, TaskSnooze.task_id.in_([t.id for t in items]),
        TaskSnooze.until > now)).all()) if query.snoozed else {}
    return InboxPage(items, min(total, PROPOSED_CAP), total > PROPOSED_CAP, query, until)


def proposed_counts(user) -> dict:
    """The page's three tab counts with one read of the clock and memberships, capped at 1,000."""
    from engine import InboxQuery, clock
    from engine.assignment import memberships
    from engine.service.inbox import TABS
    held = memberships(user, on=clock.now().astimezone(clock.local_zone()).date())
    return {tab: proposed_inbox(user, InboxQuery(tab=tab), held, page_items=False).total for tab in TABS}


def install_proposal(app):
    """Swap the proposals into a running app (the in-process and HTTP "[proposal]" rows): engine.inbox →
    proposed_inbox, and for the three tab counts (the per_page=1 calls of webui.inbox) a count without the page,
    as an `engine.inbox_counts(user)` would; the clock read once per request (engine.clock.one_instant around the
    request: the page reads engine_setting 14 times otherwise); the memberships read once per request and user
    (9 times otherwise). Returns a function that undoes it."""
    import flask

    import engine
    from engine import assignment, clock

    original_inbox, original_memberships, original_wsgi = engine.inbox, assignment.memberships, app.wsgi_app

    def memberships(user, on=None):
        if not flask.has_request_context():
            return original_memberships(user, on)
        on = on or clock.now().astimezone(clock.local_zone()).date()
        cache = flask.request.environ.setdefault("gia.bench.memberships", {})
        if (user.id, on) not in cache:
            cache[(user.id, on)] = original_memberships(user, on)
        return cache[(user.id, on)]

    def wsgi_app(environ, start_response):
        with clock.one_instant():
            return original_wsgi(environ, start_response)

    patched = [m for m in list(sys.modules.values()) if getattr(m, "memberships", None) is original_memberships]
    for module in patched:
        module.memberships = memberships
    def inbox(user, query=None):  # webui.inbox asks for per_page=1 pages to count the tabs: count only
        return proposed_inbox(user, query, page_items=query is None or query.per_page != 1)

    engine.inbox, app.wsgi_app = inbox, wsgi_app

    def undo():
        for module in patched:
            module.memberships = original_memberships
        engine.inbox, app.wsgi_app = original_inbox, original_wsgi
    return undo


# ----------------------------------------------------------------------------------------- measurements

def measure_service(org: Org, reps: int, warmup: int, explain: bool, proposal: bool
                    ) -> tuple[list[Timing], list[str]]:
    import engine
    from engine import InboxQuery, clock
    from engine.db import db
    from engine.models import User
    from engine.service.inbox import TABS

    personas = {"head": org.head_id, "spec": org.spec_id}
    today = clock.now().astimezone(clock.local_zone()).date()
    counter = StatementCounter(db.engine)
    results, plans = [], []

    def fresh(uid):
        db.session.rollback()
        user = db.session.get(User, uid)
        _ = user.active, user.login
        return user

    def timed(persona, calls):
        """Time each of `calls` (the variants) in turn, interleaved, so that a change in the machine's load
        falls on all of them alike. Returns [(wall samples, CPU samples, statements, last result)] per call."""
        out = [([], [], 0, None) for _ in calls]
        for i in range(warmup + reps):
            for k, call in enumerate(calls):
                user = fresh(personas[persona])
                before = counter.count
                c0, t0 = time.process_time(), time.perf_counter()
                result = call(user)
                elapsed, cpu = time.perf_counter() - t0, time.process_time() - c0
                walls, cpus, _n, _r = out[k]
                if i >= warmup:
                    walls.append(elapsed)
                    cpus.append(cpu)
                out[k] = (walls, cpus, counter.count - before, result)
        return out

    def page_note(page):
        return f"{len(page.items)} rows of {page.total}{'+' if page.total_capped else ''}"

    variants = [("", engine.inbox)] + ([(" [proposal]", proposed_inbox)] if proposal else [])
    try:
        gc.collect()
        for label, persona, kwargs in scenarios(today):
            measured = timed(persona, [lambda u, fn=fn: fn(u, InboxQuery(**kwargs)) for _s, fn in variants])
            for (suffix, fn), (walls, cpus, statements, page) in zip(variants, measured):
                results.append(Timing(f"query: {label}{suffix}", persona, walls, page_note(page), statements, cpus))
                if explain:
                    plans += explain_call(counter, fresh(personas[persona]), lambda u: fn(u, InboxQuery(**kwargs)),
                                          f"{persona}: {label}{suffix}")
            if proposal and [t.id for t in measured[0][3].items] != [t.id for t in measured[1][3].items]:
                results[-1].note += " — DIFFERS from inbox()"
        for persona in personas:
            calls = [lambda u: [engine.inbox(u, InboxQuery(tab=tab, per_page=1)).total for tab in TABS]]
            if proposal:
                calls.append(lambda u: list(proposed_counts(u).values()))
            measured = timed(persona, calls)
            for label, (walls, cpus, statements, totals) in zip(
                    ("3 tab counts (as the page)", "3 tab counts [proposal]"), measured):
                results.append(Timing(label, persona, walls, "mine/group/available = " + "/".join(map(str, totals)),
                                      statements, cpus))
            if explain:
                plans += explain_call(counter, fresh(personas[persona]),
                                      lambda u: engine.inbox(u, InboxQuery(tab="available", per_page=1)),
                                      f"{persona}: tab count, available")
    finally:
        db.session.rollback()
        counter.close()
    return results, plans


def measure_in_process(app, org: Org, reps: int, warmup: int, proposal: bool) -> list[Timing]:
    """GET /<filter> through Flask's test client (no network, no gunicorn): the page's own cost and its SQL;
    with the proposal, install_proposal() is in force around every other request."""
    from engine.db import db
    counter = StatementCounter(db.engine)
    results = []
    variants = [""] + ([" [proposal]"] if proposal else [])
    try:
        for persona, uid in (("head", org.head_id), ("spec", org.spec_id)):
            path = HTTP_PATHS[persona]
            client = app.test_client()
            with client.session_transaction() as session:
                session["_user_id"], session["_fresh"] = str(uid), True
            samples = [([], [], 0, None) for _ in variants]
            for i in range(warmup + reps):
                for k, variant in enumerate(variants):
                    undo = install_proposal(app) if variant else (lambda: None)
                    try:
                        before = counter.count
                        c0, t0 = time.process_time(), time.perf_counter()
                        resp = client.get(path)
                        elapsed, cpu = time.perf_counter() - t0, time.process_time() - c0
                    finally:
                        undo()
                    if resp.status_code != 200 or b'class="tabs"' not in resp.data:
                        raise RuntimeError(f"in-process GET {path}: HTTP {resp.status_code}, not the inbox")
                    walls, cpus, _n, _r = samples[k]
                    if i >= warmup:
                        walls.append(elapsed)
                        cpus.append(cpu)
                    samples[k] = (walls, cpus, counter.count - before, resp.data)
            for variant, (walls, cpus, statements, body) in zip(variants, samples):
                results.append(Timing(f"GET {path}{variant}", persona, walls,
                                      f"{body.count(b'<tr class=')} rows, {len(body) // 1024} KiB", statements, cpus))
    finally:
        counter.close()
    return results


def explain_call(counter, user, call, title) -> list[str]:
    """Run `call` once, keep the statements it sent, and EXPLAIN ANALYZE those that read human_task."""
    from engine.db import db
    counter.keep, counter.kept = True, []
    try:
        call(user)
    finally:
        counter.keep = False
    db.session.rollback()
    out = [f"--- {title}: the {len(counter.kept)} statements of one call\n" + "\n".join(
        f"  {k + 1}. {_inline(st, pa)[:160]}" for k, (st, pa) in enumerate(counter.kept))]
    conn = db.session.connection()
    for statement, parameters in counter.kept:
        if "human_task" not in statement or not statement.lstrip().upper().startswith("SELECT"):
            continue
        rows = conn.exec_driver_sql("EXPLAIN (ANALYZE, BUFFERS) " + statement, parameters).all()
        out.append(f"--- {title}\n{_inline(statement, parameters)}\n" + "\n".join(r[0] for r in rows))
    db.session.rollback()
    return out


def _inline(statement, parameters):
    text = statement
    if isinstance(parameters, dict):
        for key, value in sorted(parameters.items(), key=lambda kv: -len(kv[0])):
            text = text.replace(f"%({key})s", repr(value if not isinstance(value, datetime) else value.isoformat()))
    return re.sub(r"\s+", " ", text)


# ------------------------------------------------------------------------------------------------- HTTP

def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


PROPOSAL_WSGI = """# written by bench/inbox.py: the app with the bench's proposals installed (install_proposal)
import sys
sys.path.insert(0, {bench!r})
from wsgi import app  # noqa: E402
import inbox as bench_inbox  # noqa: E402
bench_inbox.install_proposal(app)
"""


def start_gunicorn(url: str, workdir: Path, port: int, proposal: bool = False) -> subprocess.Popen:
    env = {**os.environ, "DATABASE_URL": url, "SECRET_KEY": "bench-secret", "GIA_VAR_DIR": str(workdir),
           "UPLOAD_DIR": str(workdir / "uploads"), "GIA_CLOCK": "real"}
    module = "wsgi:app"
    if proposal:
        (workdir / "bench_proposal_wsgi.py").write_text(PROPOSAL_WSGI.format(bench=str(ROOT / "bench")))
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(workdir), str(ROOT), env.get("PYTHONPATH")]))
        module = "bench_proposal_wsgi:app"
    log = open(workdir / "gunicorn.log", "ab")
    proc = subprocess.Popen([str(ROOT / ".venv" / "bin" / "gunicorn"), "-w", "2", "-b", f"127.0.0.1:{port}",
                             "--log-level", "warning", module], cwd=ROOT, env=env, stdout=log,
                            stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"gunicorn exited: {(workdir / 'gunicorn.log').read_text()[-2000:]}")
        try:
            status, _headers, _body = http_get(port, "/login")
            if status == 200:
                return proc
        except OSError:
            pass
        time.sleep(0.2)
    proc.terminate()
    raise RuntimeError("gunicorn did not answer within 60 s")


def http_get(port, path, cookie=None):
    conn = HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request("GET", path, headers={"Cookie": cookie} if cookie else {})
        resp = conn.getresponse()
        return resp.status, resp.getheaders(), resp.read().decode("utf-8", "replace")
    finally:
        conn.close()


def _cookies(headers, jar):
    for name, value in headers:
        if name.lower() == "set-cookie":
            key, _, rest = value.partition("=")
            jar[key.strip()] = rest.split(";", 1)[0]
    return "; ".join(f"{k}={v}" for k, v in jar.items())


def login(port, login_name) -> str:
    """GET /login for the CSRF token and the session cookie, POST the form; returns the Cookie header."""
    conn = HTTPConnection("127.0.0.1", port, timeout=30)
    jar = {}
    try:
        conn.request("GET", "/login")
        resp = conn.getresponse()
        body = resp.read().decode()
        cookie = _cookies(resp.getheaders(), jar)
        token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', body) or \
            re.search(r'value="([^"]+)"[^>]*name="csrf_token"', body)
        if not token:
            raise RuntimeError("no CSRF token on /login")
        form = urlencode({"csrf_token": token.group(1), "login": login_name, "password": PASSWORD})
        conn.request("POST", "/login", body=form, headers={"Cookie": cookie,
                                                           "Content-Type": "application/x-www-form-urlencoded"})
        resp = conn.getresponse()
        resp.read()
        cookie = _cookies(resp.getheaders(), jar)
        if resp.status != 302:
            raise RuntimeError(f"login as {login_name}: HTTP {resp.status}, expected a redirect")
        return cookie
    finally:
        conn.close()


def check_inbox(port, path, cookie) -> str:
    status, _headers, body = http_get(port, path, cookie)
    if status != 200:
        raise RuntimeError(f"GET {path}: HTTP {status}")
    if 'name="password"' in body or 'class="tabs"' not in body:
        raise RuntimeError(f"GET {path} did not return the inbox (the login page?)")
    rows = body.count('<tr class="')
    return f"{rows} rows, {len(body) // 1024} KiB"


class Load:
    def __init__(self, tool, requests, seconds, errors, p50, p95, p99, note=""):
        self.tool, self.requests, self.seconds, self.errors = tool, requests, seconds, errors
        self.p50, self.p95, self.p99, self.note = p50, p95, p99, note

    @property
    def rate(self):
        return self.requests / self.seconds


WRK_SCRIPT = """
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("BENCH %d %d %d %d %d %d %d %.1f %.1f %.1f\\n", summary.requests, summary.duration,
    e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(95), latency:percentile(99)))
end
"""


def run_wrk(port, path, cookie, seconds, connections, workdir) -> Load:
    script = workdir / "report.lua"
    script.write_text(WRK_SCRIPT)
    out = subprocess.run(["wrk", "-t", "1", "-c", str(connections), "-d", f"{seconds}s", "--timeout", "10s",
                          "-H", f"Cookie: {cookie}", "-s", str(script), f"http://127.0.0.1:{port}{path}"],
                         capture_output=True, text=True, timeout=seconds + 60)
    line = next((ln for ln in out.stdout.splitlines() if ln.startswith("BENCH ")), None)
    if line is None:
        raise RuntimeError(f"wrk: {out.stdout[-1000:]} {out.stderr[-1000:]}")
    n, duration, connect, read, write, status, timeout, p50, p95, p99 = line.split()[1:]
    errors = int(connect) + int(read) + int(write) + int(status) + int(timeout)
    detail = f"non-2xx/3xx {status}, socket errors c/r/w/t {connect}/{read}/{write}/{timeout}"
    return Load(f"wrk -t1 -c{connections}", int(n), int(duration) / 1e6, errors, float(p50) / 1000,
                float(p95) / 1000, float(p99) / 1000, detail)


def run_python_client(port, path, cookie, seconds, connections) -> Load:
    """Threads with http.client keep-alive connections (reconnecting when the server closes), bounded in time."""
    latencies, errors, lock = [], [0], threading.Lock()
    stop = time.perf_counter() + seconds

    def worker():
        conn, mine, bad = None, [], 0
        while time.perf_counter() < stop:
            try:
                if conn is None:
                    conn = HTTPConnection("127.0.0.1", port, timeout=10)
                t0 = time.perf_counter()
                conn.request("GET", path, headers={"Cookie": cookie})
                resp = conn.getresponse()
                resp.read()
                mine.append(time.perf_counter() - t0)
                if resp.status != 200:
                    bad += 1
                if resp.getheader("Connection", "").lower() == "close":
                    conn.close()
                    conn = None
            except OSError:
                bad += 1
                conn = None
        with lock:
            latencies.extend(mine)
            errors[0] += bad

    began = time.perf_counter()
    threads = [threading.Thread(target=worker) for _ in range(connections)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - began
    ordered = sorted(latencies) or [0.0]

    def pct(q):
        return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))] * 1000
    return Load(f"python client, {connections} threads", len(latencies), wall, errors[0], pct(0.5), pct(0.95),
                pct(0.99), "errors: non-200 or socket errors; the client shares the 2 CPUs with the server")


def measure_http(url, workdir, seconds, connections, client, paths, proposal) -> list:
    """One gunicorn (2 sync workers) per variant: the app as it is, then (with the proposal) the app with
    engine.inbox swapped for proposed_inbox. Returns [(persona, path, variant, Load, page check)]."""
    results = []
    for variant in ["", " [proposal]"] if proposal else [""]:
        port = free_port()
        proc = start_gunicorn(url, workdir, port, proposal=bool(variant))
        try:
            for persona, login_name, path in paths:
                cookie = login(port, login_name)
                before = check_inbox(port, path, cookie)
                for _ in range(20):  # warm both workers (templates, translations, statement cache, pool)
                    http_get(port, path, cookie)
                if client == "wrk":
                    load = run_wrk(port, path, cookie, seconds, connections, workdir)
                else:
                    load = run_python_client(port, path, cookie, seconds, connections)
                check_inbox(port, path, cookie)  # still the inbox after the load
                results.append((persona, path, variant, load, before))
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
    return results


# ------------------------------------------------------------------------------------------------- main

def pg_base_url(given):
    from config import _database_url
    env = os.environ.get("DATABASE_URL", "")
    url = given or (env if env.startswith(("postgresql", "postgres")) else DEFAULT_PG)
    return _database_url(url) if url.startswith(("postgresql", "postgres")) else None


def _load_avg() -> str:
    try:
        return " ".join(f"{v:.2f}" for v in os.getloadavg())
    except OSError:
        return "n/a"


def _table(head, rows):
    lines = [head, *rows]
    widths = [max(len(str(line[i])) for line in lines) for i in range(len(head))]
    out = []
    for k, line in enumerate(lines):
        out.append("  ".join(str(c).ljust(w) if i in (0, 1) or i == len(head) - 1 else str(c).rjust(w)
                             for i, (c, w) in enumerate(zip(line, widths))))
        if k == 0:
            out.append("  ".join("-" * w for w in widths))
    return "\n".join("  " + line for line in out)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="20k open tasks, fewer repetitions, 3 s of load")
    parser.add_argument("--tasks", type=int, help="open human tasks (default 100,000; --quick 20,000)")
    parser.add_argument("--history", type=int, help="completed human tasks besides (default: half as many as open)")
    parser.add_argument("--users", type=int, default=3000)
    parser.add_argument("--reps", type=int, help="timed calls per service-layer scenario (default 100; --quick 30)")
    parser.add_argument("--seconds", type=float, help="load duration per user (default 10; --quick 3)")
    parser.add_argument("--connections", type=int, default=4, help="concurrent connections of the load client")
    parser.add_argument("--client", choices=("auto", "wrk", "python"), default="auto")
    parser.add_argument("--no-http", action="store_true", help="service layer only")
    parser.add_argument("--explain", action="store_true", help="print EXPLAIN (ANALYZE, BUFFERS) of each statement")
    parser.add_argument("--upgrade-to", default="head", help="migrate only to this revision (e.g. 0003)")
    parser.add_argument("--no-proposal", action="store_true",
                        help="do not measure the proposed query shape (proposed_inbox) beside engine.inbox")
    parser.add_argument("--add-index", action="append", default=[], metavar="NAME=COL,COL",
                        help="experiment: create this human_task index after migrating (repeatable)")
    parser.add_argument("--drop-index", action="append", default=[], metavar="NAME",
                        help="experiment: drop this index after migrating (repeatable)")
    parser.add_argument("--no-parallel", action="store_true",
                        help="experiment: connect with -c max_parallel_workers_per_gather=0 (no parallel query)")
    parser.add_argument("--keep", action="store_true", help="keep the schema (prints its name) instead of dropping")
    parser.add_argument("--pg-url", help=f"PostgreSQL URL (default: $DATABASE_URL or {DEFAULT_PG})")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    n_open = args.tasks or (20_000 if args.quick else 100_000)
    n_history = n_open // 2 if args.history is None else args.history
    reps = args.reps or (30 if args.quick else 100)
    warmup = 5 if args.quick else 10
    seconds = args.seconds or (3 if args.quick else 10)
    client = args.client if args.client != "auto" else ("wrk" if shutil.which("wrk") else "python")
    for name in ("spiff", "spiff.metrics", "sqlalchemy.engine", "alembic"):
        logging.getLogger(name).setLevel(logging.WARNING)

    import sqlalchemy as sa
    base = pg_base_url(args.pg_url)
    if base is None:
        sys.exit("PostgreSQL is needed: give --pg-url postgresql://... or DATABASE_URL")
    print(f"GIA Flow inbox benchmark — {n_open:,} open tasks (+{n_history:,} completed), {args.users:,} users, "
          f"60 schools, 20 PPE; PostgreSQL, schema migrated to {args.upgrade_to}"
          + "".join(f"; +index {i}" for i in args.add_index) + "".join(f"; -index {i}" for i in args.drop_index)
          + ("; no parallel query" if args.no_parallel else ""))
    print(f"Python {sys.version.split()[0]}, {os.cpu_count()} CPUs, load average {_load_avg()} at start")
    began = time.perf_counter()
    admin = sa.create_engine(base, connect_args={"connect_timeout": 5})
    try:
        with admin.connect() as conn:
            pg_version = conn.exec_driver_sql("SHOW server_version").scalar()
    except Exception as exc:
        sys.exit(f"PostgreSQL not reachable at {base}: {type(exc).__name__}: {str(exc).splitlines()[0]}")
    schema = f"gia_bench_inbox_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    with admin.begin() as conn:
        conn.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
    options = f"-csearch_path%3D{schema}" + ("%20-cmax_parallel_workers_per_gather%3D0" if args.no_parallel else "")
    url = f"{base}{'&' if '?' in base else '?'}options={options}"
    workdir = Path(tempfile.mkdtemp(prefix="gia-bench-inbox-"))
    rng = random.Random(args.seed)
    try:
        app = make_app(url, workdir)
        with app.app_context():
            from engine.db import db
            t0 = time.perf_counter()
            migrate(args.upgrade_to)
            org = load_org(rng, args.users)
            deployment_id, sha = deploy_catalogue()
            for spec in args.add_index:
                name, _, cols = spec.partition("=")
                db.session.execute(sa.text(f'CREATE INDEX "{name}" ON human_task ({cols})'))
            for name in args.drop_index:
                db.session.execute(sa.text(f'DROP INDEX "{name}"'))
            db.session.commit()
            t1 = time.perf_counter()
            stats = load_tasks(rng, org, n_open, n_history, deployment_id, sha)
            t2 = time.perf_counter()
            db.session.execute(sa.text("ANALYZE"))
            db.session.commit()
            t3 = time.perf_counter()
            indexes = [f"{name} ({re.search(r'USING btree [(](.*)[)]', d).group(1)})" for name, d in db.session.execute(
                sa.text("SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = :s AND tablename = "
                        "'human_task' ORDER BY indexname"), {"s": schema})]
            print(f"\nPostgreSQL {pg_version}; schema {schema}")
            print(f"  organisation: {len(org.unit_ids)} units, {org.users:,} users, {org.memberships:,} memberships "
                  f"({t1 - t0:.1f} s incl. migration)")
            rows = stats['open'] + stats['history'] + stats['waiting'] + stats['instances']
            print(f"  tasks: {stats['open']:,} open (READY) + {stats['waiting']:,} predicted (WAITING) + "
                  f"{stats['history']:,} completed, in {stats['instances']:,} instances: {rows:,} rows in "
                  f"{t2 - t1:.1f} s by Core executemany ({rows / (t2 - t1):,.0f} rows/s); ANALYZE {t3 - t2:.1f} s")
            print(f"  open: {stats['overdue']:,} overdue, {stats['claimed']:,} claimed, {stats['hidden']:,} in "
                  f"suspended/failed instances, {stats['snoozes']} snoozes by the two measured users")
            print("  open by role: " + ", ".join(f"{r or '(none)'} {n:,}" for r, n in
                                                 sorted(stats["roles"].items(), key=lambda kv: -kv[1])))
            print(f"  human_task indexes: {', '.join(indexes)}")
            print("  measured users: head17 (school_head school-17, ppe_head ppe-17, deputy of an absent "
                  "coordinator of school-17); iao (iao_specialist, city-wide)")
            service, plans = measure_service(org, reps, warmup, args.explain, not args.no_proposal)
            in_process = measure_in_process(app, org, max(20, reps // 4), 5, not args.no_proposal)
            db.session.remove()
            db.engine.dispose()
        http = None
        if not args.no_http:
            paths = [("head", "head17", HTTP_PATHS["head"]), ("spec", "iao", HTTP_PATHS["spec"])]
            http = measure_http(url, workdir, seconds, args.connections, client, paths, not args.no_proposal)
    finally:
        if args.keep:
            print(f"\n  schema kept: {schema} (DROP SCHEMA \"{schema}\" CASCADE when done)")
        else:
            with admin.begin() as conn:
                conn.exec_driver_sql(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        admin.dispose()
        shutil.rmtree(workdir, ignore_errors=True)

    names = {"head": "school head (head17)", "spec": "dept. specialist (iao)"}
    print(f"\n(S) service layer: engine.inbox() in an app context, page 1 of 50, sort by due date; {reps} timed "
          f"calls each after {warmup} warm-up (load average {_load_avg()})")
    rows = []
    for r in service:
        is_query = r.label.startswith("query:") and "unfiltered" not in r.label
        target = f"p95 < {TARGET_P95_MS:.0f}" if is_query else ""
        verdict = ("meets" if r.pct(0.95) * 1000 < TARGET_P95_MS else "MISSES") if is_query else ""
        rows.append((names[r.persona], r.label, f"{r.pct(0.5) * 1000:.2f}", f"{r.pct(0.95) * 1000:.2f}",
                     f"{max(r.samples) * 1000:.2f}", f"{r.cpu_ms:.2f}", f"{r.statements}", target, verdict, r.note))
    print(_table(("user", "measurement", "p50 ms", "p95 ms", "max ms", "CPU ms", "SQL", "target", "verdict",
                  "result"), rows))
    print("  (CPU ms: median CPU time of this process per call, the Python side; the rest of the latency is the")
    print("   database and waiting for a CPU. SQL: statements per call, incl. the user's memberships and the clock;")
    print("   the unfiltered row is for reference;")
    print("   [proposal]: bench/inbox.py proposed_inbox(), a suggested shape for engine/service/inbox.py)")
    print(f"\n(T) the inbox page in-process: Flask test client, GET with the session cookie, no network; "
          f"{len(in_process[0].samples)} timed requests each")
    rows = [(names[r.persona], r.label, f"{r.pct(0.5) * 1000:.2f}", f"{r.pct(0.95) * 1000:.2f}",
             f"{max(r.samples) * 1000:.2f}", f"{r.cpu_ms:.2f}", f"{r.statements}", r.note) for r in in_process]
    print(_table(("user", "request", "p50 ms", "p95 ms", "max ms", "CPU ms", "SQL", "page"), rows))
    print("  ([proposal]: install_proposal(): proposed_inbox for the page, counts only for the three tabs, the clock")
    print("   read once per request, the memberships once per request and user)")
    if http:
        print(f"\n(H) HTTP: GET /<filter> signed in, gunicorn -w 2 (sync workers) on loopback, {seconds:g} s of load "
              f"per row (load average {_load_avg()})")
        rows = []
        for persona, path, variant, load, check in http:
            verdict = "meets" if load.rate >= TARGET_RPS and load.errors == 0 else "MISSES"
            rows.append((names[persona], path + variant, f"{load.requests:,}", f"{load.rate:,.0f}", f"{load.p50:.1f}",
                         f"{load.p95:.1f}", f"{load.p99:.1f}", f"{load.errors}", f"≥ {TARGET_RPS:.0f} req/s",
                         verdict, check))
        print(_table(("user", "path", "requests", "req/s", "p50 ms", "p95 ms", "p99 ms", "errors", "target",
                      "verdict", "page"), rows))
        print(f"  client: {http[0][3].tool}; {http[0][3].note}")
        print("  the load client, the two workers and PostgreSQL share the machine's CPUs"
              + ("; [proposal]: a gunicorn whose app has install_proposal() in force" if not args.no_proposal else ""))
    if plans:
        print("\nEXPLAIN (ANALYZE, BUFFERS) of the statements that read human_task:\n")
        print("\n\n".join(plans))
    print(f"\n  total run time {time.perf_counter() - began:.1f} s; load average {_load_avg()} at the end "
          "(other processes on the machine inflate every number)")


if __name__ == "__main__":
    main()
