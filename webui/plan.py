"""The school year's plan for department staff: its sections and items with their progress across the city, one
item's units, and the Excel reports people would otherwise copy by hand (coverage per school, late submissions).

Only department staff (and administrators) see the plan: it spans every school and PPE. Its landing page, /plan,
is the plan at a glance (webui/matrix.py's page with the city summary); the list of items is /plan/list."""
from flask import Blueprint, flash, redirect, render_template, request, send_file, url_for
from flask_babel import format_date
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import DateField, HiddenField, SelectChoice, SelectField, StringField
from wtforms.validators import DataRequired, Length, Optional

from engine import clock
from engine.access import is_admin, is_city_staff, memberships
from engine.errors import EngineError, InvalidData, NotFound
from engine.plan import (item_by_id, item_page, late_submissions, overview, plan_for, remove_special_day,
                         set_calendar_date, set_item_window, set_special_day, special_days_between, years)
from engine.plan.attendance import item_attendance
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
    return render_template("plan_item.html", page=page, now=clock.now(), form=form,
                           attendance=item_attendance(page["item"])), status


@bp.route("/items/<int:item_id>.xlsx")
def item_export(item_id):
    page = item_page(item_by_id(item_id))
    if not page["instances"]:
        flash(_("There is nothing to export: the item has not started for any unit yet."), "info")
        return redirect(url_for("plan.item", item_id=item_id))
    stream = exports.coverage_workbook(page, clock.now())
    return send_file(stream, as_attachment=True, download_name=f"punkt-{page['item'].number}.xlsx",
                     mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")


@bp.route("/items/<int:item_id>/attendance.xlsx")
def attendance_export(item_id):
    """The item's events and who took part, by school and, for trial exams, by PPE (issue 15 §7)."""
    item = item_by_id(item_id)
    attendance = item_attendance(item)
    if not attendance or not attendance["events"]:
        flash(_("There is nothing to export: no events have been recorded for the item yet."), "info")
        return redirect(url_for("plan.item", item_id=item_id))
    stream = exports.attendance_workbook(attendance)
    return send_file(stream, as_attachment=True, download_name=f"uchastie-{item.number}.xlsx",
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
    return _calendar_page(plan, form, SpecialDayForm(formdata=None), status)


class SpecialDayForm(FlaskForm):
    day = DateField(_l("Date"), validators=[DataRequired(_l("Enter the date."))])
    kind = SelectField(_l("The day is"), choices=[SelectChoice("off", _l("a day off")),
                                                  SelectChoice("working", _l("a working day"))])
    note = StringField(_l("Note"),
                       validators=[Length(max=500, message=_l("The note may have at most 500 characters."))])


class RemoveDayForm(FlaskForm):
    day = DateField(validators=[DataRequired()])


@bp.route("/calendar/days", methods=["POST"])
def special_day():
    """A day of the production calendar marked a day off or a working day (an entry for that day is replaced):
    later working-day counts follow it, deadlines computed before stay."""
    plan = plan_for(request.args.get("year"))
    form = SpecialDayForm()
    if form.validate():
        try:
            saved = set_special_day(form.day.data, form.kind.data == "working", form.note.data,
                                    actor=current_user.login)
        except InvalidData as exc:
            form.day.errors = [m for msgs in exc.field_errors.values() for m in msgs]
        else:
            flash(_("Saved: %(date)s is now %(kind)s.", date=clock.ru_date(saved.day),
                    kind=_("a working day") if saved.working else _("a day off")), "success")
            return redirect(url_for("plan.calendar", year=plan.year))
    return _calendar_page(plan, CalendarForm(formdata=None), form, 422)


@bp.route("/calendar/days/remove", methods=["POST"])
def special_day_remove():
    """A day's entry removed from the production calendar: the day follows the week again."""
    plan = plan_for(request.args.get("year"))
    form = RemoveDayForm()
    if form.validate():
        try:
            remove_special_day(form.day.data, actor=current_user.login)
        except EngineError as exc:
            flash_error(exc)
        else:
            flash(_("Removed: %(date)s follows the week again.", date=clock.ru_date(form.day.data)), "success")
    return redirect(url_for("plan.calendar", year=plan.year))


def _calendar_page(plan, form: CalendarForm, day_form: SpecialDayForm, status: int):
    """The exam calendar and, below it, the production calendar of the calendar years the school year spans."""
    entries = [(key, value) for key, value in plan.calendar.items() if not key.startswith("_") and key != "school_year"]
    first = plan.school_year_starts.replace(month=1, day=1)
    last = plan.school_year_ends.replace(month=12, day=31)
    days = [(d, format_date(d.day, "EEEE")) for d in special_days_between(first, last)]
    return render_template("plan_calendar.html", plan=plan, entries=entries, form=form, days=days,
                           day_form=day_form, first=first, last=last), status
