"""The department's annual GIA programme as a catalogue: the plan's text (processes/plan/*.md), which process
implements each item (items.json) and the exam calendar (calendar-*.json), read together by `catalogue.load`.

`catalogue`, `source`, `windows` and `executors` parse that text and stay pure (no database): tests and the CLI
read them as `engine.plan.catalogue` etc. `running` opens the plan, starts each item's instances as its window
opens and reads its progress back; `dates` moves the plan's dates (the exam calendar, an item's window) and the
open instances that follow them; `working_days` keeps the production calendar every working-day count reads.
The names below are what the web UI, the CLI and Celery call.
"""
from .dates import calendar_in_force, set_calendar_date, set_item_window
from .matrix import EXECUTOR_ROLES, UNIT_KINDS, Matrix, MatrixQuery, plan_matrix
from .running import (PlanTick, copy_plan, item_by_id, item_by_number, item_page, item_to_join, late_submissions,
                      open_plan, overview, plan_for, start_due_items, years)
from .summary import CitySummary, city_summary
from .working_days import SpecialDay, remove_special_day, set_special_day, special_days_between

__all__ = [
    "calendar_in_force", "set_calendar_date", "set_item_window",
    "EXECUTOR_ROLES", "UNIT_KINDS", "Matrix", "MatrixQuery", "plan_matrix",
    "CitySummary", "city_summary",
    "SpecialDay", "remove_special_day", "set_special_day", "special_days_between",
    "PlanTick", "copy_plan", "item_by_id", "item_by_number", "item_page", "item_to_join", "late_submissions",
    "open_plan", "overview", "plan_for", "start_due_items", "years",
]
