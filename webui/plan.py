"""The school year's plan for department staff: its sections and items with their progress across the city, one
item's units, and the Excel reports people would otherwise copy by hand (coverage per school, late submissions).

Only department staff (and administrators) see the plan: it spans every school and PPE. Its landing page, /plan,
is the plan at a glance (webui/matrix.py's page with the city summary); the list of items is /plan/list."""
from flask import Blueprint, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import DateField, HiddenField
from wtforms.validators import DataRequired, Optional

from engine import clock
from engine.access import is_admin, is_city_staff, memberships
from engine.errors import EngineError, InvalidData, NotFound
from engine.plan import (item_by_id, item_page, late_submissions, overview, plan_for, set_calendar_date,
                         set_item_window, years)
from . import exports, matrix
from .access import restrict
from .errors import flash_error

bp = Blueprint("plan", __name__, url_prefix="/plan")


def _is_department(user) -> bool:
    held = memberships(user)
    return is_city_staff(user, held) or is_admin(user, held)


restrict(bp, _is_department, "plan", link="is_city_user")


@bp.route("/")
def index():
    """The supervisor's landing page: the plan at a glance (the matrix, with the city summary above it)."""
    return matrix.render_page()


@bp.route("/list")
def item_list():
    """The plan as written: its sections and items, each with its progress across the city."""
    try:
        plan = plan_for(request.args.get("year"))
    except NotFound:
        return render_template("plan.html", plan=None, sections=[], years=[])
    sections = {}
    for progress in overview(plan):
        sections.setdefault((progress.item.section, progress.item.section_title), []).append(progress)
    return render_template("plan.html", plan=plan, sections=list(sections.items()), now=clock.now(),
                           years=years())


class WindowForm(FlaskForm):
    starts = DateField(_l("Starts"), validators=[DataRequired(_l("Enter the date."))])
    due = DateField(_l("Due"), validators=[DataRequired(_l("Enter the date."))])


@bp.route("/items/<int:item_id>", methods=["GET", "POST"])
def item(item_id):
    """An item's units and, for the department, its window to edit: a running item's instances follow."""
    item = item_by_id(item_id)
    form = WindowForm(starts=item.starts, due=item.due)
    status = 200
    if request.method == "POST":
        if form.validate():
            try:
                result = set_item_window(item, form.starts.data, form.due.data, actor=current_user.login)
            except InvalidData as exc:
                form.due.errors = [m for msgs in exc.field_errors.values() for m in msgs]
                status = 422
            else:
                flash(_("Saved. Running instances whose dates were computed again: %(count)s.",
                        count=result["instances"]), "success")
                for problem in result["failed"]:
                    flash(_("Not moved: instance %(problem)s", problem=problem), "error")
                return redirect(url_for("plan.item", item_id=item_id))
        else:
            status = 422
    page = item_page(item_by_id(item_id), problems_only=bool(request.args.get("problems")))
    return render_template("plan_item.html", page=page, now=clock.now(), form=form), status


@bp.route("/items/<int:item_id>.xlsx")
def item_export(item_id):
    page = item_page(item_by_id(item_id))
    if not page["instances"]:
        flash(_("There is nothing to export: the item has not started for any unit yet."), "info")
        return redirect(url_for("plan.item", item_id=item_id))
    stream = exports.coverage_workbook(page, clock.now())
    return send_file(stream, as_attachment=True, download_name=f"punkt-{page['item'].number}.xlsx",
                     mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")


@bp.route("/late.xlsx")
def late_export():
    rows = late_submissions(plan_for(request.args.get("year")))
    if not rows:
        flash(_("There is nothing to export: no work has been handed in late."), "info")
        return redirect(url_for("plan.item_list"))
    stream = exports.late_workbook(rows)
    return send_file(stream, as_attachment=True, download_name=f"opozdaniya-{clock.now():%Y-%m-%d}.xlsx",
                     mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")


class CalendarForm(FlaskForm):
    key = HiddenField(validators=[DataRequired()])
    starts = DateField(_l("Date"), validators=[DataRequired(_l("Enter the date."))])
    ends = DateField(_l("Last day (for a period)"), validators=[Optional()])


@bp.route("/calendar", methods=["GET", "POST"])
def calendar():
    """The exam calendar a supervisor keeps: a date given or moved here moves the items that follow it."""
    plan = plan_for(request.args.get("year"))
    form = CalendarForm()
    status = 200
    if request.method == "POST":
        if form.validate():
            try:
                result = set_calendar_date(plan, form.key.data, form.starts.data, form.ends.data,
                                           actor=current_user.login)
            except InvalidData as exc:
                form.starts.errors = [m for msgs in exc.field_errors.values() for m in msgs]
                status = 422
            except EngineError as exc:
                flash_error(exc)
                return redirect(url_for("plan.calendar", year=plan.year))
            else:
                flash(_("Saved. Items moved: %(moved)s.", moved=", ".join(result["moved"] + result["started"])
                        or _("none")) + " " + _("Running instances whose dates were computed again: %(count)s.",
                                                 count=result["instances"]), "success")
                for problem in result["failed"]:
                    flash(_("Not moved: instance %(problem)s", problem=problem), "error")
                return redirect(url_for("plan.calendar"))
        else:
            status = 422
    entries = [(key, value) for key, value in plan.calendar.items() if not key.startswith("_") and key != "school_year"]
    return render_template("plan_calendar.html", plan=plan, entries=entries, form=form), status
