"""Moving the plan's dates: the exam calendar a supervisor keeps (and processes read through calendar_date),
and an item's window edited by hand. The calendar or the item changes in one transaction; then each open
instance that depends on it is rescheduled in its own (engine.reschedule: a diagram that catches the signal
deadline_moved withdraws what it raised for the old date, e.g. an escalation), one that fails is reported, and
the reports handed in before a deadline moved later may be corrected until it (engine.plan.corrections)."""
import re
from datetime import date

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from .. import audit, clock, store
from ..db import db
from ..errors import EngineError, InvalidData, NotFound
from ..models import DeploymentFile, Plan, PlanItem, ProcessInstance
from ..models.instance import InstanceStatus
from ..service.instances import reschedule
from .analysis import REPORTED, schools_params
from .carriers import carried_of
from .catalogue import calendar_window
from .corrections import offer_corrections, open_corrections
from .running import _stored, share_due
from .windows import Window, parse_deadline

_PROCESS_ID = re.compile(r"<(?:\w+:)?process\b[^>]*\bid=\"([^\"]+)\"")


def calendar_in_force() -> dict:
    """The exam calendar of the plan whose school year includes today (else of the latest plan; {} without one):
    what processes read through the calendar_date helper."""
    today = clock.now().astimezone(clock.local_zone()).date()
    query = select(Plan).order_by(Plan.opened_at.desc(), Plan.id.desc())
    plan = (db.session.scalars(query.where(Plan.school_year_starts <= today, Plan.school_year_ends >= today)
                               .limit(1)).first() or db.session.scalars(query.limit(1)).first())
    return dict(plan.calendar) if plan is not None else {}


def set_calendar_date(plan: Plan, key: str, starts: date, ends: date | None = None,
                      actor: str | None = None) -> dict:
    """Give the exam calendar's entry `key` a date (or a range) and move what follows it: the windows of the items
    that take their dates from it, and the open instances that depend on it, whose deadlines, reminders and
    escalations are computed again (instances.reschedule). The calendar and the items change in one transaction;
    each instance then moves in its own, like every other step, and one that fails is reported, not hidden.
    Schools that handed in a report of a running item before its deadline moved later may correct it until the new
    one (engine.plan.corrections). Returns {"moved": items not started, "started": running items, "instances":
    instances moved, "corrections": corrections offered, "failed": ["instance: message"]}. A date in the past or
    outside the school year is refused (InvalidData), nothing changed."""
    ends = ends or starts
    if key not in plan.calendar or key == "school_year":
        raise NotFound(_l("The exam calendar has no entry «%(key)s».", key=key))
    _check_dates(plan, starts, ends, "date")
    moved, started, follow = [], [], {}
    with store.transaction() as session:
        plan = session.get(Plan, plan.id)
        entry = {"title": plan.calendar[key].get("title", key)}
        entry.update({"date": starts.isoformat()} if starts == ends else
                     {"starts": starts.isoformat(), "ends": ends.isoformat()})
        plan.calendar = {**plan.calendar, key: entry}
        windows = {k: calendar_window(v) for k, v in plan.calendar.items() if not k.startswith("_")}
        school_year = Window(plan.school_year_starts, plan.school_year_ends)
        for item in plan.items:
            if key not in (item.calendar_keys or []):
                continue
            deadline = parse_deadline(item.number, item.deadline_text, school_year, windows)
            fresh = _stored(deadline.windows)
            if fresh == item.windows:
                continue
            old_due = item.due
            item.windows = fresh
            item.starts = deadline.windows[0].starts if deadline.windows else None
            item.due = deadline.windows[-1].ends if deadline.windows else None
            item.anomalies = [a for a in item.anomalies if a["code"] != "calendar_date_missing"] + [
                {"code": a.code, "message": str(a.message)} for a in deadline.anomalies]
            if item.started_at is None:
                moved.append(item.number)
            else:
                started.append(item.number)
                follow[item.id] = (_moved_values(item), old_due)
        audit.record("plan_calendar", actor, summary={"year": plan.year, "key": key, **entry, "moved": moved,
                                                      "started": started})
    when = clock.ru_date(starts) if starts == ends else f"{clock.ru_date(starts)}–{clock.ru_date(ends)}"
    reason = str(_l("The exam calendar: «%(title)s» is now %(when)s.", title=entry["title"], when=when))
    rescheduled, corrections, failed = _follow(follow, actor, reason=reason, calendar_key=key)
    return {"moved": moved, "started": started, "instances": rescheduled, "corrections": corrections,
            "failed": failed}


def set_item_window(item: PlanItem, starts: date, due: date, actor: str | None = None) -> dict:
    """Set an item's window by hand (next year's copy is edited this way, or a deadline the department extends):
    one transaction for the item, then its running instances follow, as with a calendar change, and reports handed
    in before a later deadline may be corrected until it. Returns {"instances": moved, "corrections": offered,
    "failed": [...]}. An end before the start, a deadline in the past or a window outside
    the school year is refused (InvalidData), nothing changed."""
    plan = item.plan
    carried = carried_of(item)
    if carried is not None:  # its dates are the carrying task's, which this window would not move
        raise InvalidData({"due": [str(_l("Item %(number)s is carried by item %(carrier)s: change the dates there.",
                                          number=item.number, carrier=carried["item"]))]})
    # A running item's start has passed already; only its deadline must still lie ahead.
    _check_dates(plan, starts if item.started_at is None else due, due, "due", first=starts)
    with store.transaction() as session:
        item = session.get(PlanItem, item.id)
        old_due = item.due
        item.windows = _stored([Window(starts, due)])
        item.starts, item.due = starts, due
        item.anomalies = [a for a in item.anomalies if a["code"] != "calendar_date_missing"]
        follow = {item.id: (_moved_values(item), old_due)} if item.started_at is not None else {}
        audit.record("plan_item_window", actor, summary={"year": plan.year, "item": item.number,
                                                         "starts": starts.isoformat(), "due": due.isoformat()})
    reason = str(_l("Item %(number)s of the plan: its window is now %(starts)s–%(due)s.", number=item.number,
                    starts=clock.ru_date(starts), due=clock.ru_date(due)))
    rescheduled, corrections, failed = _follow(follow, actor, reason=reason)
    return {"instances": rescheduled, "corrections": corrections, "failed": failed}


def _check_dates(plan: Plan, starts: date, ends: date, field: str, first: date | None = None) -> None:
    today = clock.now().astimezone(clock.local_zone()).date()
    first = first or starts
    problem = None
    if ends < first:
        problem = _l("The end comes before the start.")
    elif starts < today:
        problem = _l("The date %(date)s has passed; a calendar date can only be moved to today or later.",
                     date=starts.strftime("%d.%m.%Y"))
    elif not (plan.school_year_starts <= first and ends <= plan.school_year_ends):
        problem = _l("The date lies outside the school year %(starts)s–%(ends)s.",
                     starts=plan.school_year_starts.strftime("%d.%m.%Y"),
                     ends=plan.school_year_ends.strftime("%d.%m.%Y"))
    if problem is not None:
        raise InvalidData({field: [str(problem)]})


def _moved_values(item: PlanItem) -> dict:
    """The start data that follow an item's window ("$due"/"$starts" parameters too, at the top and in params)."""
    values = {"starts": item.starts.isoformat() if item.starts else None,
              "due": item.due.isoformat() if item.due else None}
    for name, value in (item.params or {}).items():
        if value in ("$due", "$starts"):
            values[name] = values[value[1:]]
            values[f"params.{name}"] = values[value[1:]]
    return values


def _follow(follow: dict, actor: str | None, reason: str,
            calendar_key: str | None = None) -> tuple[int, int, list[str]]:
    """Reschedule the open instances of the running items in `follow` with their new dates (the open corrections
    of their reports too) and, when the calendar's `calendar_key` moved, every open instance of a process that
    reads the calendar itself (calendar_date in its diagram), so that its deadlines and timers are computed again;
    then offer the corrections of reports handed in before a deadline moved later. Returns (moved, corrections,
    failed). An instance whose diagram reads `calendar_key` is given {"calendar_moved": key}: a value moved, so
    the diagram is signalled deadline_moved (engine.actions.SetData); the others only have their timers computed
    again, so that a date they do not read withdraws nothing of theirs."""
    targets: dict[int, dict] = {}
    rows = db.session.execute(select(ProcessInstance.id, ProcessInstance.plan_item_id, ProcessInstance.status_text)
                              .where(ProcessInstance.plan_item_id.in_(list(follow)),
                                     ProcessInstance.status.in_(InstanceStatus.ACTIVE))).all() if follow else []
    corrections = open_corrections(follow) if follow else []
    correcting = {instance_id for instance_id, _, _ in corrections}
    # A school report due before the item's end (params.report_due: 3.49) keeps that many working days before it.
    shares = {item_id: schools_params(db.session.get(PlanItem, item_id)) for item_id in follow}
    reports = correcting | set(db.session.scalars(select(ProcessInstance.id).where(
        ProcessInstance.id.in_([row[0] for row in rows]), ProcessInstance.process_id == REPORTED)))
    for instance_id, item_id, status_text in [*rows, *corrections]:
        values, old_due = follow[item_id]
        # A correction takes the new deadline only: the item's other start values are not in its data.
        values = {"due": values["due"]} if instance_id in correcting else dict(values)
        if instance_id in reports and values.get("due"):
            old_due = share_due(old_due, shares[item_id])
            values["due"] = share_due(date.fromisoformat(values["due"]), shares[item_id]).isoformat()
        if status_text and old_due and values.get("due"):
            # The pattern's status text names the deadline it waits for; it would say the old date otherwise.
            old, new = old_due.strftime("%d.%m.%Y"), date.fromisoformat(values["due"]).strftime("%d.%m.%Y")
            if old in status_text:
                values["status_text"] = status_text.replace(old, new)
        targets[instance_id] = values
    for instance_id, reads_key in _instances_reading_the_calendar(calendar_key).items() if calendar_key else ():
        targets.setdefault(instance_id, {"calendar_moved": calendar_key} if reads_key else {})
    db.session.rollback()
    done, failed = 0, []
    for instance_id, values in sorted(targets.items()):
        try:
            if reschedule(instance_id, values, actor, reason=reason) is not None:
                done += 1
        except EngineError as exc:
            failed.append(f"{instance_id}: {exc.message}")
    offered = 0
    for item_id, (values, old_due) in sorted(follow.items()):
        new_due = date.fromisoformat(values["due"]) if values.get("due") else None
        started, problems = offer_corrections(item_id, share_due(old_due, shares[item_id]),
                                              share_due(new_due, shares[item_id]), actor)
        offered += started
        failed += problems
    return done, offered, failed


def _instances_reading_the_calendar(key: str) -> dict[int, bool]:
    """The open instances of the processes that read the calendar → whether their diagram's file reads `key`."""
    files = db.session.execute(select(DeploymentFile.deployment_id, DeploymentFile.content)
                               .where(DeploymentFile.content.contains("calendar_date("))).all()
    pairs = {(deployment_id, process_id): _reads(content, key) for deployment_id, content in files
             for process_id in _PROCESS_ID.findall(content)}
    if not pairs:
        return {}
    deployments = {d for d, _ in pairs}
    return {instance_id: pairs[(deployment_id, process_id)] for instance_id, deployment_id, process_id in
            db.session.execute(select(ProcessInstance.id, ProcessInstance.deployment_id, ProcessInstance.process_id)
                               .where(ProcessInstance.deployment_id.in_(deployments),
                                      ProcessInstance.status.in_(InstanceStatus.ACTIVE)))
            if (deployment_id, process_id) in pairs}


def _reads(content: str, key: str) -> bool:
    """Whether a diagram that reads the calendar reads `key`: by name in the call, or named as a string and read
    through a variable (plan_council_decisions lists its deadlines' keys and reads calendar_date(decision[...]))."""
    # Double quotes only in the call: an XML attribute's value could otherwise match a key by chance.
    return f"'{key}'" in content or f'calendar_date("{key}"' in content
