"""`flask gia plan …`: the school year's programme: check the catalogue, open the plan, start due items, status."""
import click
from flask_babel import gettext as _

from engine.plan import carriers
from engine.plan import catalogue as plan_catalogue
from engine.plan import (copy_plan, item_by_number, open_plan, overview, plan_for, set_calendar_date,
                         set_item_window, start_due_items)
from . import gia
from .output import emit, guarded, json_option


@gia.group("plan")
def plan_group():
    """The school year's plan (processes/plan)."""


@plan_group.command("catalogue")
@json_option
@guarded
def catalogue_command(as_json):
    """Check the plan catalogue (processes/plan) and list its items, windows and anomalies."""
    catalogue = plan_catalogue.load_default()
    rows = [_entry_dict(e) for e in catalogue.entries]
    lines = [f"{r['number']:>5}  {r['window'] or '—':<25} {r['process']:<20} {r['scope']:<10} {r['lead_role']}"
             + "".join(f"\n       ! {a['message']}" for a in r["anomalies"]) for r in rows]
    emit({"year": catalogue.year, "items": rows}, as_json,
         f"plan {catalogue.year}: {len(rows)} items, {len(catalogue.anomalies)} anomalies\n" + "\n".join(lines))


def _entry_dict(entry) -> dict:
    carried = entry.carried_by
    return {"number": entry.number, "section": entry.section, "title": entry.title,
            "deadline_text": entry.deadline_text,
            "window": "; ".join(f"{w.starts.isoformat()}..{w.ends.isoformat()}" for w in entry.windows),
            # a carried item runs no process: the carrying item's task does its work (items.json "carried_by")
            "process": _carried_text(carried) if carried else entry.process,
            "carried_by": carried.as_dict() if carried else None,
            "scope": entry.scope, "lead_role": entry.lead_role,
            "anomalies": [{"code": a.code, "message": str(a.message)} for a in entry.anomalies]}


def _carried_text(carried) -> str:
    tasks = "», «".join(carriers.task_name(task) for task in carried.tasks)
    if len(carried.tasks) == 1:
        return _("done by the task of item %(item)s («%(tasks)s»)", item=carried.item, tasks=tasks)
    return _("done by the tasks of item %(item)s («%(tasks)s»)", item=carried.item, tasks=tasks)


@plan_group.command("open")
@click.option("--user", "login", default=None, help="Who opens it (for the audit trail).")
@json_option
@guarded
def open_command(login, as_json):
    """Open the school year's plan from the catalogue; its items start as their windows open."""
    catalogue = plan_catalogue.load_default()
    plan = open_plan(catalogue, actor=login)
    emit({"plan_id": plan.id, "year": plan.year, "items": len(catalogue.entries),
          "anomalies": [{"item": n, "code": a.code, "message": str(a.message)} for n, a in catalogue.anomalies]},
         as_json, f"plan {plan.year} opened: {len(catalogue.entries)} items, "
                  f"{len(catalogue.anomalies)} anomalies in the source")


@plan_group.command("start-due")
@click.option("--limit", type=int, default=500, show_default=True, help="At most this many starts.")
@json_option
@guarded
def start_due_command(limit, as_json):
    """Start the items whose window has opened, for every unit that has no instance of them yet."""
    tick = start_due_items(limit=limit)
    emit(tick.as_dict(), as_json, f"started {len(tick.started)}, items complete {len(tick.completed_items)}, "
                                  f"failed {len(tick.failed)}, pending {tick.pending}"
         + "".join(f"\nerror: {n} {u}: {m}" for n, u, m in tick.failed))


@plan_group.command("status")
@click.option("--year", default=None, help="e.g. 2020/21 (default: the latest plan).")
@json_option
@guarded
def status_command(year, as_json):
    """Each item's progress across its units."""
    plan = plan_for(year)
    rows = [{"number": p.item.number, "state": p.state, "units": p.units, "done": p.done, "late": p.late,
             "overdue": p.overdue, "errors": p.errors} for p in overview(plan)]
    emit({"year": plan.year, "items": rows}, as_json,
         f"plan {plan.year}\n" + "\n".join(f"{r['number']:>5} {r['state']:<16} {r['done']}/{r['units']} done, "
                                           f"{r['late']} late, {r['overdue']} overdue" for r in rows))


@plan_group.command("calendar")
@click.argument("key", required=False)
@click.option("--date", "on", type=click.DateTime(formats=["%Y-%m-%d"]), help="The entry's date.")
@click.option("--ends", type=click.DateTime(formats=["%Y-%m-%d"]), help="With --date: the last day of a range.")
@click.option("--year", default=None, help="e.g. 2020/21 (default: the latest plan).")
@click.option("--user", "login", default=None)
@json_option
@guarded
def calendar_command(key, on, ends, year, login, as_json):
    """Show the exam calendar, or give entry KEY a date: the items that follow it move, and so do the deadlines and
    timers of their running instances and of processes that read the calendar."""
    plan = plan_for(year)
    if key is None or on is None:
        emit(plan.calendar, as_json, "\n".join(f"{k:<26} {v}" for k, v in plan.calendar.items()
                                               if not k.startswith("_")))
        return
    result = set_calendar_date(plan, key, on.date(), ends.date() if ends else None, actor=login)
    _report_moves(result, as_json, f"{key}: moved {', '.join(result['moved'] + result['started']) or 'nothing'}")


@plan_group.command("window")
@click.argument("number")
@click.option("--starts", type=click.DateTime(formats=["%Y-%m-%d"]), required=True)
@click.option("--due", type=click.DateTime(formats=["%Y-%m-%d"]), required=True)
@click.option("--year", default=None, help="e.g. 2020/21 (default: the latest plan).")
@click.option("--user", "login", default=None)
@json_option
@guarded
def window_command(number, starts, due, year, login, as_json):
    """Set item NUMBER's window (e.g. 3.12); if it runs already, its open instances' deadlines follow."""
    item = item_by_number(plan_for(year), number)
    result = set_item_window(item, starts.date(), due.date(), actor=login)
    _report_moves(result, as_json, f"{number}: {starts:%d.%m.%Y}–{due:%d.%m.%Y}")


def _report_moves(result: dict, as_json: bool, what: str) -> None:
    emit(result, as_json, f"{what}; running instances rescheduled: {result['instances']}")
    if result["failed"]:  # the change is made; these instances kept their dates and need a look
        for problem in result["failed"]:
            click.echo(f"error: not rescheduled: instance {problem}", err=True)
        raise SystemExit(1)


@plan_group.command("copy")
@click.option("--from", "source", default=None, help="e.g. 2020/21 (default: the latest plan).")
@click.option("--to", "year", required=True, help="The next school year, e.g. 2021/22.")
@click.option("--user", "login", default=None)
@json_option
@guarded
def copy_command(source, year, login, as_json):
    """Make next year's plan from this one, every date one year later; then edit its calendar."""
    plan = copy_plan(plan_for(source), year, actor=login)
    emit({"plan_id": plan.id, "year": plan.year}, as_json, f"plan {plan.year} made from {source or 'the latest'}")
