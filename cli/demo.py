"""`flask gia demo`: the department, its schools and PPE, a user for every role of scenario A1, the deployed
processes, and one PPE check already under way; with --plan-until, the 2020/21 plan lived up to that day on the
manual clock, so that `make run` shows a living system."""
from datetime import date, timedelta

import click
from sqlalchemy import select

import engine
from engine import clock
from engine.db import db
from engine.models import Plan, ProcessInstance
from engine.plan import catalogue as plan_catalogue
from engine.plan import item_to_join
from . import gia
from .city import deploy_processes, ensure_city
from .output import emit, guarded, json_option
from .simulation import YearSimulation

DEMO_PASSWORD = "demo"
SCHOOLS = 60
PPE_HOSTS = (1, 3, 5, 8, 11, 12, 14, 17, 19, 22, 25, 27, 30, 33, 36, 39, 41, 45, 50, 55)
# login, role, unit, full name
USERS = [
    ("admin", "admin", None, "Администратор системы"),
    ("designer", "designer", "iao", "Разработчик процессов"),
    ("operator", "operator", "iao", "Оператор процессов"),
    ("guo_head", "guo_head", "guo", "Дибяев В.В."),
    ("iao_head", "iao_head", "iao", "Магомедова Х.М."),
    ("iao", "iao_specialist", "iao", "Алиева П.М."),
    ("tech17", "ppe_tech", "ppe-17", "Гасанов Р.А."),
    ("head17", "school_head", "school-17", "Омарова З.К."),
    ("tech12", "ppe_tech", "ppe-12", "Исаев М.Г."),
    ("head12", "school_head", "school-12", "Курбанова А.С."),
]


def load_demo(plan_until: date | None = None) -> dict:
    """Idempotent. With `plan_until`, the 2020/21 plan is also opened and lived up to that day (load_plan_demo)
    before the PPE check is started, so that the check runs on the same clock."""
    ensure_city(range(1, SCHOOLS + 1), PPE_HOSTS)
    for login, role, unit, name in USERS:
        engine.ensure_user(login, role, unit, password=DEMO_PASSWORD, full_name=name,
                           email=f"{login}@gia.example")
    deployed = deploy_processes()
    plan = load_plan_demo(plan_until) if plan_until else {}
    started = None
    if db.session.scalar(select(ProcessInstance.id).where(ProcessInstance.process_id == "ppe_tech_check")) is None:
        due = (clock.now().astimezone(clock.local_zone()) + timedelta(days=4)).date().isoformat()
        started = engine.start("ppe_tech_check", {"check_due": due, "fix_days": 7, "recheck_days": 3},
                               unit="ppe-17", actor="iao",  # ahead of the plan: it counts as item 3.32's
                               plan_item_id=item_to_join("ppe_tech_check", "ppe-17")).instance_id
    return {"version": deployed.version, "processes": deployed.process_ids, "users": [u[0] for u in USERS],
            "password": DEMO_PASSWORD, "started_instance": started, **plan}


def load_plan_demo(until: date) -> dict:
    """The 2020/21 plan opened and lived through to `until` on the manual clock (a simulated autumn: items
    started, reports handed in, some late, escalations raised). A plan open already is lived on only when the
    manual clock stands before `until`: a first `make run` stopped with Ctrl-C goes on where it stopped instead of
    serving a half-lived autumn. It prints a line per simulated week on stderr (cli.simulation.weekly_progress);
    bench/demo.py measures it."""
    resume = db.session.scalar(select(Plan.id)) is not None
    if resume and not (clock.is_manual() and clock.now().astimezone(clock.local_zone()).date() < until):
        return {"plan": "open already"}
    db.session.rollback()
    report = YearSimulation(SCHOOLS, len(PPE_HOSTS), late_share=0.15, seed=2021, ppe_hosts=list(PPE_HOSTS)).run(
        plan_catalogue.load_default(), until=until, resume=resume)
    return {"plan": report.year, "simulated_until": until.isoformat(), "simulated_days": report.days,
            "seconds": round(report.seconds, 1), "completions": report.completions}


@gia.command("demo")
@click.option("--plan-until", type=click.DateTime(formats=["%Y-%m-%d"]), default=None,
              help="Also open the 2020/21 plan and live it on the manual clock up to this day (e.g. 2020-12-04).")
@json_option
@guarded
def demo_command(plan_until, as_json):
    """Load the demo data (idempotent)."""
    result = load_demo(plan_until.date() if plan_until else None)
    emit(result, as_json, "demo data loaded; users: " + ", ".join(result["users"])
         + f" (password «{DEMO_PASSWORD}»)")
