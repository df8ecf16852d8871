"""The data of bench/inbox.py: a city's organisation and 100,000 open human tasks in the engine's own tables.

Kept apart from the measurements because it is most of the code and changes for other reasons (the shape of the
city, not what is measured). What it loads:

  - the organisation: the department and its four subdepartments (cli.city.DEPARTMENTS), 60 schools, 20 PPE
    hosted by schools (cli.demo.PPE_HOSTS), 3,000 users with their memberships: department heads and
    specialists (city-wide roles), a head and three coordinators per school, two heads (often the host school's
    head) and six technicians per PPE, and teachers (a unit role no task uses) up to 3,000; passwords only for
    the two users the HTTP part signs in as; a few absences with deputies, snoozes, notifications, saved filters;
  - the open (READY) human tasks of 8 activities, with roles, units, due dates spread over the year (about one in
    eight overdue, 3 % without a due date), names, `columns`, 12 % claimed; 1 % of the instances suspended or
    failed (their tasks must not show); the engine's predictions of the next tasks (WAITING rows, no due date);
    and completed tasks of completed instances (some of the history a year leaves: it changes the plans).

Why SQLAlchemy Core (executemany in batches of 5,000) and not the engine: starting ~50,000 instances through
engine.start would take the best part of an hour. The rows go into the engine's own migrated tables, so the
inbox reads what it reads in production.
"""
import logging
import random
import uuid
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "bench"  # of head17 and iao, the two users the HTTP part signs in as
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


class Org:
    """Who is who: filled by load_org, read by load_tasks and the measurements."""
    def __init__(self):
        self.unit_ids: dict[str, int] = {}
        self.holders: dict[tuple[str, str | None], list[int]] = {}  # (role, unit) → user ids; city roles: unit None
        self.users = 0
        self.memberships = 0
        self.head_id = self.spec_id = 0


def populate(schema: str, revision: str, n_users: int, n_open: int, n_history: int, seed: int,
             add_index=(), drop_index=()) -> tuple[Org, list[str]]:
    """In an app context on the fresh `schema`: migrate to `revision`, load everything, VACUUM ANALYZE. Returns the org
    and the lines that describe what was loaded."""
    import re
    import time

    import sqlalchemy as sa
    from engine.db import db
    rng = random.Random(seed)
    t0 = time.perf_counter()
    migrate(revision)
    org = load_org(rng, n_users)
    deployment_id, sha = deploy_catalogue()
    for spec in add_index:  # experiments: --add-index NAME=COL,COL / --drop-index NAME
        name, _, cols = spec.partition("=")
        db.session.execute(sa.text(f'CREATE INDEX "{name}" ON human_task ({cols})'))
    for name in drop_index:
        db.session.execute(sa.text(f'DROP INDEX "{name}"'))
    db.session.commit()
    t1 = time.perf_counter()
    stats = load_tasks(rng, org, n_open, n_history, deployment_id, sha)
    t2 = time.perf_counter()
    # this schema's tables only: a bare VACUUM walks every schema of the database, and deadlocks with whoever
    # drops one meanwhile (test runs sharing the server). VACUUM, not only ANALYZE: in production autovacuum marks
    # the pages of tasks that no longer change all-visible, which lets the inbox's counts read indexes only; the
    # test server here runs with autovacuum off, so a freshly loaded table would have no page marked.
    tables = list(db.session.scalars(sa.text("SELECT tablename FROM pg_tables WHERE schemaname = :s"),
                                     {"s": schema}))
    db.session.commit()
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.exec_driver_sql("VACUUM (ANALYZE) " + ", ".join(f'"{name}"' for name in tables))
    t3 = time.perf_counter()
    indexes = [f"{name} {re.search(r'USING btree (.*)', d).group(1)}" for name, d in db.session.execute(
        sa.text("SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = :s AND tablename = 'human_task' "
                "ORDER BY indexname"), {"s": schema})]
    rows = stats["open"] + stats["history"] + stats["waiting"] + stats["instances"]
    return org, [
        f"organisation: {len(org.unit_ids)} units, {org.users:,} users, {org.memberships:,} memberships "
        f"({t1 - t0:.1f} s incl. migration)",
        f"tasks: {stats['open']:,} open (READY) + {stats['waiting']:,} predicted (WAITING) + {stats['history']:,} "
        f"completed, in {stats['instances']:,} instances: {rows:,} rows in {t2 - t1:.1f} s by Core executemany "
        f"({rows / (t2 - t1):,.0f} rows/s); VACUUM ANALYZE {t3 - t2:.1f} s",
        f"open: {stats['overdue']:,} overdue, {stats['claimed']:,} claimed, {stats['hidden']:,} in suspended/failed "
        f"instances, {stats['snoozes']} snoozes by the two measured users",
        "open by role: " + ", ".join(f"{r or '(none)'} {n:,}" for r, n in
                                     sorted(stats["roles"].items(), key=lambda kv: -kv[1])),
        f"human_task indexes: {', '.join(indexes)}",
        "measured users: head17 (school_head school-17, ppe_head ppe-17, deputy of an absent coordinator of "
        "school-17); iao (iao_specialist, city-wide)"]


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
    from cli.demo import PPE_HOSTS, SCHOOLS, ensure_city
    from engine import clock, roles
    from engine.db import db
    from engine.models import Absence, Membership, Unit, User
    from werkzeug.security import generate_password_hash

    org = Org()
    ensure_city(range(1, SCHOOLS + 1), PPE_HOSTS)
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

    # The history first: completed instances are older, so their rows lie before the open ones in the table's
    # files, as in production, where a sequential scan meets a year of completed tasks before the first open one.
    while stats["history"] < n_history:
        instance(True)
    while stats["open"] < n_open:
        instance(False)
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

