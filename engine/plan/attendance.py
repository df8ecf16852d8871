"""Who took part in a plan item's events (issue 15 §7: 2.1, 2.3, 3.6, 3.19, 5.1, 5.4, 5.5), and the coverage the
department reports from it: events held, people invited and present, the city's schools represented, by school;
for trial exams, the participants by PPE and school.

The records are what the organisers handed in to processes/plan_events.bpmn, read from the task history in one
statement (no workflow restored, as engine/plan/analysis.py reads the schools' reports): an event is its first
step's submission (what was held) with the next attendance submission of the same instance (who came from each
school); a trainings record (5.1) holds its classes itself."""
from dataclasses import dataclass, field
from datetime import date

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from forms.registry import load as load_form

from ..db import db
from ..directory.naming import natural_key
from ..models import PlanItem, ProcessInstance, TaskSubmission, Unit
from .running import runs

RECORDED = "plan_events"  # the pattern whose history is read
EVENT_STEPS = ("event_task", "exam_task")  # what was held; the participants follow in ATTENDANCE
TRAINING = "training_task"  # a school's training for its pupils, counts per class in the same step
ATTENDANCE = "attendance_task"

# What a trial exam and a training are called; a seminar's kind and an exam's subject are named as their forms
# name the choices.
EXAM, TRAINING_KIND = _l("Trial exam"), _l("Training")


@dataclass
class Participation:
    """One school's part in one event: invited (for an exam, registered) and present; `names` as written."""
    code: str | None
    school: str
    invited: int
    came: int
    names: str | None = None
    group: str | None = None  # a class (5.1's trainings count pupils by class)


@dataclass
class Event:
    day: date | None
    title: str
    kind: str
    organiser: str  # the unit that recorded it
    subject: str | None = None
    ppe: str | None = None  # the PPE's name, for a trial exam
    rows: list[Participation] = field(default_factory=list)

    @property
    def invited(self) -> int:
        return sum(r.invited for r in self.rows)

    @property
    def came(self) -> int:
        return sum(r.came for r in self.rows)


def percent(part: int, whole: int) -> float | None:
    return round(100 * part / whole, 1) if whole else None


def item_attendance(item: PlanItem) -> dict | None:
    """None for an item that records no events (none of its shares runs plan_events); else its coverage from its
    records: {"events" (by date), "held", "invited", "came", "percent" (of the invited who came),
    "invited_schools", "represented" (schools with someone present), "represented_percent" (of the invited
    schools), "city_schools", "city_percent" (of the city's schools), "by_school" (every school of the city, those
    never invited too: events, invited, came, percent), "exams" (trial exams: a row per PPE, exam and school)};
    no events and zeros before the first is recorded."""
    if not any(run.process_id == RECORDED for run in runs(item)):
        return None
    units = db.session.execute(select(Unit.code, Unit.name, Unit.kind)).all()
    names = {code: name for code, name, _kind in units}
    schools = {code: name for code, name, kind in units if kind == "school"}
    events = _events(item, names)
    by_school = {code: {"code": code, "school": name, "events": 0, "invited": 0, "came": 0}
                 for code, name in schools.items()}
    for event in events:
        counted = set()  # a school counts once per event, however many of its classes took part
        for row in event.rows:
            key = row.code or row.school
            found = by_school.setdefault(key, {"code": row.code, "school": row.school, "events": 0, "invited": 0,
                                               "came": 0})
            found["events"] += key not in counted
            counted.add(key)
            found["invited"] += row.invited
            found["came"] += row.came
    for found in by_school.values():
        found["percent"] = percent(found["came"], found["invited"])
    invited_schools = [s for s in by_school.values() if s["events"]]
    represented = [s for s in invited_schools if s["came"]]
    invited, came = sum(e.invited for e in events), sum(e.came for e in events)
    return {"events": events, "held": len(events), "invited": invited, "came": came, "percent": percent(came, invited),
            "invited_schools": len(invited_schools), "represented": len(represented),
            "represented_percent": percent(len(represented), len(invited_schools)), "city_schools": len(schools),
            "city_percent": percent(len([s for s in represented if s["code"] in schools]), len(schools)),
            "by_school": sorted(by_school.values(), key=lambda s: natural_key(s["school"])),
            "exams": _exams(events)}


def _events(item: PlanItem, names: dict[str, str]) -> list[Event]:
    """The item's events in the order they were held (then recorded)."""
    rows = db.session.execute(
        select(TaskSubmission.instance_id, TaskSubmission.bpmn_id, TaskSubmission.data, ProcessInstance.unit_code)
        .join(ProcessInstance, ProcessInstance.id == TaskSubmission.instance_id)
        .where(ProcessInstance.plan_item_id == item.id, ProcessInstance.process_id == RECORDED,
               TaskSubmission.bpmn_id.in_((*EVENT_STEPS, TRAINING, ATTENDANCE)))
        .order_by(TaskSubmission.instance_id, TaskSubmission.id))
    codes = {name: code for code, name in names.items()}
    held, recorded = {}, []  # instance id → its event waiting for participants
    for instance_id, bpmn_id, data, unit_code in rows:
        data = data if isinstance(data, dict) else {}
        if bpmn_id == ATTENDANCE:
            event = held.pop(instance_id, None)
            if event is not None:
                event.rows = [_participation(row, codes) for row in data.get("rows") or [] if isinstance(row, dict)]
                recorded.append(event)
            continue
        held.pop(instance_id, None)  # a later record replaces one whose participants never came
        if data.get("action") != "record":
            continue
        event = Event(day=_day(data.get("date")), title=str(data.get("title") or ""), kind=str(TRAINING_KIND),
                      organiser=names.get(unit_code, unit_code or ""))
        if bpmn_id == "event_task":
            event.kind = _label("plan_event_record", "kind", data.get("kind"))
        elif bpmn_id == "exam_task":
            event.kind, event.subject = str(EXAM), _label("plan_event_exam", "subject", data.get("subject"))
            event.ppe = ", ".join(names.get(c, c) for c in data.get("ppe") or []) or "—"
        if bpmn_id == TRAINING:
            school = names.get(unit_code, unit_code or "")
            event.rows = [Participation(unit_code, school, _count(row.get("pupils")), _count(row.get("came")),
                                        group=row.get("group")) for row in data.get("classes") or []
                          if isinstance(row, dict)]
            recorded.append(event)
        else:
            held[instance_id] = event
    return sorted(recorded, key=lambda e: e.day or date.min)


def _participation(row: dict, codes: dict[str, str]) -> Participation:
    """An attendance row: its school is written by name (the form's row label), its code found by that name."""
    school = str(row.get("school") or "")
    return Participation(codes.get(school), school, _count(row.get("invited")), _count(row.get("came")),
                         row.get("names"))


def _exams(events: list[Event]) -> list[dict]:
    """The trial exams' participants: a row per PPE, exam and school, by PPE, date and school."""
    found = [{"ppe": e.ppe or "", "day": e.day, "title": e.title, "subject": e.subject, "school": r.school,
              "registered": r.invited, "came": r.came, "percent": percent(r.came, r.invited)}
             for e in events if e.ppe is not None for r in e.rows]
    return sorted(found, key=lambda r: (natural_key(r["ppe"]), r["day"] or date.min, natural_key(r["school"])))


def _label(form: str, name: str, value) -> str:
    """The label a form's choice field gives `value` (the value itself if the form no longer has it)."""
    found = load_form(form).field_named(name)
    return dict(found.choices).get(str(value), str(value or "")) if found else str(value or "")


def _day(value) -> date | None:
    try:
        return date.fromisoformat(str(value)[:10])
    except ValueError:
        return None


def _count(value) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else 0
