"""The school year lived on the manual clock, from September to August (`flask gia simulate`, cli.simulate).

It builds a city (schools, PPE, a user for every role), opens the plan, and then for each day moves the clock,
starts the items whose window opened, fires the timers (reminders, escalations) and works the inbox the way people
would: each task is done on a day drawn between its creation and its deadline, or, for a `late_share` of them,
1–7 days after it. Data comes from each task's form (forms.sample), so every completion passes the same checks a
person's would.
"""
import random
import time
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from io import BytesIO

import click
from flask_babel import format_decimal, gettext as _
from sqlalchemy import func, select

import engine
from engine import clock, roles
from engine.access import offered_users
from engine.db import db
from engine.errors import EngineError, TaskNotReady
from engine.models import HumanTask, PlanItem, ProcessInstance, Unit
from engine.plan import open_plan, start_due_items
from engine import sample_submission
from forms.sample import sample_data
from .city import deploy_processes, ensure_city

ESCALATION_FORM = "escalation"  # informational tasks that close themselves once the work is done
CITY_ROLES = ("guo_head", "guo_deputy", "iao_head", "iao_specialist", "mo_head", "mo_specialist", "ooo_head",
              "ooo_specialist", "odovr_head", "odovr_specialist")
SCHOOL_ROLES = ("school_head", "school_coordinator")
PPE_ROLES = ("ppe_head", "ppe_tech")


@dataclass
class SectionStats:
    instances: int = 0
    completed: int = 0
    late: int = 0
    escalations: int = 0
    errors: int = 0


@dataclass
class YearReport:
    year: str
    schools: int
    ppe: int
    starts: date | None = None   # the school year's first day: weeks are counted from it
    days: int = 0
    seconds: float = 0.0
    instances: int = 0
    tasks: int = 0
    completions: int = 0
    refused: list[str] = field(default_factory=list)
    failed_starts: list[str] = field(default_factory=list)
    sections: dict[int, SectionStats] = field(default_factory=lambda: defaultdict(SectionStats))

    def as_dict(self) -> dict:
        return {"year": self.year, "schools": self.schools, "ppe": self.ppe, "days": self.days,
                "seconds": round(self.seconds, 1), "instances": self.instances, "tasks": self.tasks,
                "completions": self.completions, "refused": self.refused[:20], "failed_starts": self.failed_starts[:20],
                "sections": {str(k): vars(v) for k, v in sorted(self.sections.items())}}


class YearSimulation:
    def __init__(self, schools: int, ppe: int, late_share: float, seed: int, unusual: float = 0.1,
                 ppe_hosts: list[int] | None = None):
        self.rng = random.Random(seed)
        self.seed, self.late_share, self.unusual = seed, late_share, unusual
        self.schools, self.ppe = schools, (len(ppe_hosts) if ppe_hosts else ppe)
        self.hosts = ppe_hosts
        self.planned: dict[str, date] = {}        # task id → the day it gets done
        self.people: dict[tuple, object] = {}     # (role, unit) → a user offered such tasks
        self.sections: dict[int, int] = {}        # instance id → section of its plan item
        self.seen: set[str] = set()
        self.skipped: set[str] = set()            # tasks whose generated data was refused (reported once)
        self.partition: tuple[int, int] | None = None  # (k, n): work only instances whose id % n == k

    def run(self, catalogue, progress=None, until: date | None = None, resume: bool = False) -> YearReport:
        """The year from the school year's first day to its last, or to `until` (the clock stays there). With
        `resume`, the plan is open already and the clock stands where a run was interrupted: that day is lived
        again (every step of a day is idempotent) and the year goes on from there.
        `progress(day, report, last)` is called before the first day (report.days == 0) and after each day lived
        (weekly_progress by default)."""
        progress = progress or weekly_progress
        report = YearReport(catalogue.year, self.schools, self.ppe, starts=catalogue.school_year.starts)
        started = time.perf_counter()
        self.build_city()
        deploy_processes()
        self.evidence = self.evidence_file()
        first, last = catalogue.school_year.starts, min(catalogue.school_year.ends, until or date.max)
        if resume:
            first = clock.now().astimezone(clock.local_zone()).date()
        else:
            with engine.transaction():
                clock.set_mode("manual", _morning(first))
            open_plan(catalogue, actor="simulation")
        day = first
        progress(first, report, False)
        while day <= last:
            self.live(day, report)
            report.days += 1
            report.seconds = time.perf_counter() - started
            progress(day, report, day == last)
            day += timedelta(days=1)
        report.seconds = time.perf_counter() - started
        report.instances = db.session.scalar(select(db.func.count()).select_from(ProcessInstance)
                                             .where(ProcessInstance.plan_item_id.is_not(None)))
        return report

    def build_city(self) -> None:
        ensure_city(range(1, self.schools + 1), self.ppe_hosts())
        staff = [(f"sim-{role}", role, role.split("_")[0]) for role in CITY_ROLES]  # guo_head → unit guo
        staff += [(f"sim-{role}-{n}", role, f"school-{n}") for n in range(1, self.schools + 1) for role in SCHOOL_ROLES]
        staff += [(f"sim-{role}-{host}", role, f"ppe-{host}") for host in self.ppe_hosts() for role in PPE_ROLES]
        units = dict(db.session.execute(select(Unit.code, Unit.name)).all())
        for login, role, unit in staff:  # named by role and unit: pages show names, never logins
            engine.ensure_user(login, role, unit, full_name=f"{roles.title(role)}, {units[unit]}")

    def ppe_hosts(self) -> list[int]:
        if self.hosts:
            return list(self.hosts)
        step = max(1, self.schools // max(1, self.ppe))
        return [1 + i * step for i in range(min(self.ppe, self.schools))]

    def evidence_file(self) -> dict:
        [saved], errors = engine.upload_files([(BytesIO(b"%PDF-1.4\n% simulated evidence\n"), "evidence.pdf",
                                                "document")], instance_id=None, task_id=None, actor="simulation")
        if errors:
            raise engine.InvalidData(errors)
        return {"attachment_id": saved["attachment_id"]}

    def live(self, day: date, report: YearReport) -> None:
        with engine.transaction():
            clock.advance_to(_morning(day))
        # the whole day's work at that instant: the engine need not read the clock setting at every call
        with clock.pinned(_morning(day)):
            tick = start_due_items(limit=100_000, actor="simulation")
            report.failed_starts += [f"{n} {u}: {m}" for n, u, m in tick.failed]
            engine.advance_timers()
            self.work(day, report)

    def work(self, day: date, report: YearReport) -> None:
        query = (select(HumanTask.id, HumanTask.instance_id, HumanTask.role, HumanTask.unit_code, HumanTask.form_key,
                        HumanTask.due_at, HumanTask.bpmn_id, HumanTask.seq, HumanTask.created_at)
                 .where(HumanTask.state == "READY").order_by(HumanTask.due_at, HumanTask.instance_id, HumanTask.seq))
        if self.partition is not None:
            # By family (an instance and those its messages started): a school's answer and the department's
            # decision it makes moot are then taken in the same order as one process takes them, not raced.
            share, shares = self.partition
            family = select(func.coalesce(ProcessInstance.parent_id, ProcessInstance.id)).where(
                ProcessInstance.id == HumanTask.instance_id).scalar_subquery()
            query = query.where(family % shares == share)
        ready = db.session.execute(query).all()
        db.session.rollback()
        for task in ready:
            section = self.section_of(task.instance_id)
            if task.id not in self.seen:
                self.seen.add(task.id)
                report.tasks += 1
                if task.form_key == ESCALATION_FORM:
                    report.sections[section].escalations += 1
            if task.form_key == ESCALATION_FORM or task.id in self.skipped:
                continue
            due = task.due_at.astimezone(clock.local_zone()).date() if task.due_at else None
            when = self.planned.setdefault(task.id, self.plan_day(_stable_key(task), day, due))
            if when > day:
                continue
            self.complete(task, day, due, section, report)

    def plan_day(self, key: str, today: date, due: date | None) -> date:
        rng = random.Random(f"{self.seed}:{key}")
        if due is None:
            return today + timedelta(days=rng.randint(0, 5))
        if rng.random() < self.late_share:
            return due + timedelta(days=rng.randint(1, 7))
        return today + timedelta(days=rng.randint(0, max(0, (due - today).days)))

    def complete(self, task, day, due, section, report) -> None:
        user = self.person(task.role, task.unit_code)
        if user is None:
            self.skipped.add(task.id)
            report.refused.append(f"{task.id}: nobody holds {task.role} in {task.unit_code}")
            return
        data = {}
        if task.form_key:
            definition = engine.task_form(task)
            # rows counted from the task's data (a PPE's auditoriums) need it; restoring costs, so only then
            context = engine.detail(task.instance_id)["data"] if _counts_rows(definition) else {}
            data = sample_data(definition, random.Random(f"{self.seed}:{_stable_key(task)}:data"), today=day,
                               context=context, file_ref=self.evidence, unusual=self.unusual)
            # Rules that tie fields to the process data (counts that must add up) come with a sample of their own.
            data.update(sample_submission(task.id) or {})
        try:
            engine.complete(task.id, user, data)
        except TaskNotReady:
            # closed since the morning's list was read (a report came in and the department's reminder of the
            # missing schools was withdrawn): a person would no longer see it either
            db.session.rollback()
            self.skipped.add(task.id)
            return
        except EngineError as exc:
            db.session.rollback()
            self.skipped.add(task.id)
            target = report.sections[section]
            target.errors += 1
            report.refused.append(f"{task.form_key}: {exc.message}")
            return
        report.completions += 1
        report.sections[section].completed += 1
        if due is not None and day > due:
            report.sections[section].late += 1

    def person(self, role, unit):
        key = (role, unit)
        if key not in self.people:
            found = offered_users(role, unit)
            self.people[key] = found[0] if found else None
        return self.people[key]

    def section_of(self, instance_id: int) -> int:
        if instance_id not in self.sections:
            section = db.session.scalar(select(PlanItem.section).join(
                ProcessInstance, ProcessInstance.plan_item_id == PlanItem.id).where(ProcessInstance.id == instance_id))
            if section is None:
                # a part started by an item's instance without a unit of its own (a person's test under 3.19's
                # round) is that item's work
                parent = db.session.scalar(select(ProcessInstance.parent_id).where(ProcessInstance.id == instance_id))
                section = self.section_of(parent) if parent is not None else None
            self.sections[instance_id] = section or 0
        return self.sections[instance_id]


def _counts_rows(definition) -> bool:
    return any(f.type == "rows" and f.rows_from for f in definition.fields)


def weekly_progress(day: date, report: YearReport, last: bool) -> None:
    """A line on stderr, flushed at once, at the start, after every simulated week and after the last day: living
    the plan up to the demo date takes minutes on a busy machine, and someone running `make run` must see that it
    moves. Stdout stays for the result (JSON with --json)."""
    if report.days == 0:
        click.echo(_("Simulation of the plan %(year)s from %(day)s: a line per simulated week", year=report.year,
                     day=f"{day:%d.%m.%Y}"), err=True)
        return
    nth = (day - report.starts).days + 1  # the day of the school year
    if nth % 7 and not last:
        return
    click.echo(_("Simulation: week %(week)s, to %(day)s — tasks done: %(done)s, %(seconds)s s",
                 week=(nth + 6) // 7, day=f"{day:%d.%m.%Y}", done=format_decimal(report.completions),
                 seconds=round(report.seconds)), err=True)


def _stable_key(task) -> str:
    """What a task is, for seeding its choices: its id is random (uuid4), so a seeded year keyed by ids would differ
    from run to run, and with it every page a test reads from the lived plan."""
    return f"{task.instance_id}:{task.bpmn_id}:{task.seq}:{task.created_at.isoformat()}"


def _morning(day: date) -> datetime:
    """09:30 local: after the 09:00 reminders and escalations of the day."""
    return datetime(day.year, day.month, day.day, 9, 30, tzinfo=clock.local_zone())
