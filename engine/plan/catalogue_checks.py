"""The checks of each process's own parameters in items.json (engine.plan.catalogue runs them on every share of an
item): what a pattern cannot start without, or would read wrongly. Pure, like the catalogue: each problem is added
to `errors`, naming its item."""
import json
import re

from flask_babel import lazy_gettext as _l

_CHOICES = {("plan_dept_task", "evidence"): ("required", "optional"),
            ("plan_year_activity", "checkins"): ("monthly", "quarterly"),
            ("plan_events", "record"): ("people", "exam", "classes")}
# plan_events offers the city's schools to invite (and an exam its PPE): the parameters that carry them.
_EVENT_LISTS = {"people": {"schools": "$schools"}, "exam": {"schools": "$schools", "ppe": "$ppe"}, "classes": {}}
# A share's own deadline (params.report_due of plan_school_report): "$due-Nwd", N working days before the item's
# end, where the department's analysis of the reports must end by then too (3.49 ends with the school year on
# 31 August: the schools report by Monday the 23rd, the analysis opens the next morning and takes its params.days,
# 5 working days, counted from then; running.share_due).
REPORT_DUE = "report_due"
_BEFORE_DUE = re.compile(r"\$due-(\d+)wd")


def check_params(number: str, process, params: dict, errors: list) -> None:
    """The params of a share running `process` (a dict already)."""
    for (for_process, name), allowed in _CHOICES.items():
        if process == for_process and params.get(name) not in allowed:
            errors.append(_l("Item %(number)s: params.%(name)s of %(process)s must be one of %(allowed)s; "
                             "found «%(value)s».", number=number, name=name, process=process,
                             allowed=", ".join(allowed), value=params.get(name)))
    if process == "plan_school_report" and not (isinstance(params.get("report"), str) and params["report"].strip()):
        errors.append(_l("Item %(number)s: params.report of plan_school_report must say what the report holds.",
                         number=number))
    if process == "plan_school_report" and REPORT_DUE in params and report_due_days(params[REPORT_DUE]) is None:
        errors.append(_l("Item %(number)s: params.report_due of plan_school_report must be \"$due-Nwd\", N working "
                         "days before the item's end; found «%(value)s».", number=number,
                         value=json.dumps(params[REPORT_DUE], ensure_ascii=False)))
    events = params.get("events")
    if process == "plan_event_reports" and not (isinstance(events, list) and events and all(
            isinstance(e, dict) and set(e) == {"key", "title"} and all(isinstance(v, str) and v.strip()
                                                                      for v in e.values()) for e in events)):
        errors.append(_l("Item %(number)s: params.events of plan_event_reports must list the exam calendar's events "
                         "the schools report after, each as {\"key\", \"title\"}.", number=number))
    lists = _EVENT_LISTS.get(params.get("record"), {})
    if process == "plan_events" and any(params.get(key) != value for key, value in lists.items()):
        errors.append(_l("Item %(number)s: plan_events recording «%(record)s» needs params %(params)s.",
                         number=number, record=params.get("record"),
                         params=json.dumps(lists, ensure_ascii=False)))
    orders = params.get("orders")
    if process == "plan_order" and orders is not None and not (
            isinstance(orders, list) and orders and all(isinstance(t, str) and t.strip() for t in orders)):
        errors.append(_l("Item %(number)s: params.orders of plan_order must be a list of order titles.",
                         number=number))


def check_staff_exams(number: str, process, params, dates: dict, errors: list) -> None:
    exams = params.get("exams") if isinstance(params, dict) else None  # the staff list places staff on their days
    if process == "ppe_staff_list" and not (isinstance(exams, list) and exams
                                            and all(isinstance(k, str) and k in dates for k in exams)):
        errors.append(_l("Item %(number)s: params.exams of ppe_staff_list must list the exam calendar's keys of the "
                         "exams the staff is placed for; found «%(value)s».", number=number,
                         value=json.dumps(exams, ensure_ascii=False)))


def report_due_days(value) -> int | None:
    """N of a params.report_due "$due-Nwd", else None."""
    found = _BEFORE_DUE.fullmatch(value) if isinstance(value, str) else None
    return int(found.group(1)) if found else None
