"""`flask gia demo`: the department, its schools and PPE, a user for every role of scenario A1, the deployed
processes, and one PPE check already under way, so that `make run` shows a living system."""
from datetime import timedelta
from pathlib import Path

from flask import current_app
from sqlalchemy import select

import engine
from engine import clock, store
from engine.db import db
from engine.models import ProcessInstance
from . import gia
from .output import emit, guarded, json_option

DEMO_PASSWORD = "demo"
SCHOOLS = 60
PPE_HOSTS = (1, 3, 5, 8, 11, 12, 14, 17, 19, 22, 25, 27, 30, 33, 36, 39, 41, 45, 50, 55)
DEPARTMENTS = [("guo", "МКУ «Управление образования» г. Махачкалы", "department", None),
               ("iao", "Информационно-аналитический отдел (ИАО) ГУО", "subdepartment", "guo"),
               ("mo", "Методический отдел (МО) ГУО", "subdepartment", "guo"),
               ("ooo", "Отдел общего образования (ООО) ГУО", "subdepartment", "guo"),
               ("odovr", "Отдел дополнительного образования и воспитательной работы (ОДОВР) ГУО", "subdepartment",
                "guo")]
# login, role, unit, full name
USERS = [
    ("admin", "admin", None, "Администратор системы"),
    ("designer", "designer", "iao", "Разработчик процессов"),
    ("guo_head", "guo_head", "guo", "Дибяев В.В."),
    ("iao_head", "iao_head", "iao", "Магомедова Х.М."),
    ("iao", "iao_specialist", "iao", "Алиева П.М."),
    ("tech17", "ppe_tech", "ppe-17", "Гасанов Р.А."),
    ("head17", "school_head", "school-17", "Омарова З.К."),
    ("tech12", "ppe_tech", "ppe-12", "Исаев М.Г."),
    ("head12", "school_head", "school-12", "Курбанова А.С."),
]


def deploy_processes():
    """Deploy every diagram in processes/ as one version (the same files again reuse it)."""
    processes = sorted(Path(current_app.config["PROCESSES_DIR"]).glob("*.bpmn"))
    return engine.deploy([(p.name, p.read_bytes()) for p in processes], actor="admin")


def load_demo() -> dict:
    with store.transaction():
        for code, name, kind, parent in DEPARTMENTS:
            engine.ensure_unit(code, name, kind, parent)
        for n in range(1, SCHOOLS + 1):
            engine.ensure_unit(f"school-{n}", f"МБОУ «СОШ №{n}»", "school", "guo")
        for n in PPE_HOSTS:
            engine.ensure_unit(f"ppe-{n}", f"ППЭ №{n} (на базе СОШ №{n})", "ppe", "guo", host=f"school-{n}",
                               attrs={"number": n, "auditoriums": 3 if n == 17 else 2 + n % 4})
    for login, role, unit, name in USERS:
        engine.ensure_user(login, role, unit, password=DEMO_PASSWORD, full_name=name,
                           email=f"{login}@gia.example")
    deployed = deploy_processes()
    started = None
    if db.session.scalar(select(ProcessInstance.id).where(ProcessInstance.process_id == "ppe_tech_check")) is None:
        due = (clock.now().astimezone(clock.local_zone()) + timedelta(days=4)).date().isoformat()
        started = engine.start("ppe_tech_check", {"check_due": due, "fix_days": 7, "recheck_days": 3},
                               unit="ppe-17", actor="iao").instance_id
    return {"version": deployed.version, "processes": deployed.process_ids, "users": [u[0] for u in USERS],
            "password": DEMO_PASSWORD, "started_instance": started}


@gia.command("demo")
@json_option
@guarded
def demo_command(as_json):
    """Load the demo data (idempotent)."""
    result = load_demo()
    emit(result, as_json, "demo data loaded; users: " + ", ".join(result["users"])
         + f" (password «{DEMO_PASSWORD}»)")
