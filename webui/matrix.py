"""The plan at a glance: items × units, a cell per unit's work on an item, with filters, totals and the same table
in Excel (engine.plan.plan_matrix). Department staff see the whole city; the staff of a school or PPE see their own
units' columns and the items that ask them for something (a blueprint of its own: the rest of /plan is the
department's)."""
import re

from flask import Blueprint, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from markupsafe import Markup, escape
from wtforms import BooleanField, DateField, SelectField
from wtforms.validators import Optional

from engine import roles
from engine.access import visible_units
from engine.errors import NotFound
from engine.plan import EXECUTOR_ROLES, MatrixQuery, city_summary, plan_for, plan_matrix
from . import exports
from .access import restrict

bp = Blueprint("matrix", __name__, url_prefix="/plan")

STATES = {  # state → (symbol, words): the symbol makes the matrix readable without its colours
    "error": ("✕", _l("error or stalled")), "overdue": ("!", _l("overdue")), "running": ("●", _l("in progress")),
    "done_late": ("✓", _l("done late")), "done": ("✓", _l("done")), "cancelled": ("–", _l("cancelled")),
    "not_due": ("○", _l("not started yet")), "none": ("", _l("not this unit's")),
}
UNIT_KIND_NAMES = {"school": _l("Schools"), "ppe": _l("PPE"), "department": _l("Department")}
_NUMBER = re.compile(r"№\s*(\d+)")


def _sees_units(user) -> bool:
    units = visible_units(user)
    return units is None or bool(units)


restrict(bp, _sees_units, "plan matrix", link="is_matrix_user")


class MatrixForm(FlaskForm):
    class Meta:
        csrf = False  # a GET form: filters in the address, nothing changes

    as_of = DateField(_l("State on"), validators=[Optional()])
    section = SelectField(_l("Section"), validators=[Optional()])
    executor = SelectField(_l("Executor"), validators=[Optional()])
    unit_kind = SelectField(_l("Units"), validators=[Optional()])
    problems = BooleanField(_l("Problems only"))

    def offer(self, plan) -> None:
        sections = dict.fromkeys((item.section, item.section_title) for item in plan.items)
        self.section.choices = [("", _("all"))] + [(str(n), f"{n}. {title}") for n, title in sections]
        self.executor.choices = [("", _("all"))] + [(role, roles.title(role)) for role in EXECUTOR_ROLES]
        self.unit_kind.choices = [("", _("all"))] + [(kind, name) for kind, name in UNIT_KIND_NAMES.items()]

    def query(self) -> MatrixQuery:
        return MatrixQuery(as_of=self.as_of.data, section=int(self.section.data) if self.section.data else None,
                           executor=self.executor.data or None, unit_kind=self.unit_kind.data or None,
                           problems_only=self.problems.data)


@bp.route("/matrix")
def page():
    return render_page()


def render_page():
    """The matrix page with the city summary above it: here, and as /plan, the department's landing page."""
    form, found = _matrix_of_request()
    status = 422 if form is not None and form.errors else 200
    rows = _rows(found) if found is not None else {}
    city = visible_units(current_user) is None
    return render_template("plan_matrix.html", form=form, matrix=found, rows=rows, city=city, states=STATES,
                           kinds=UNIT_KIND_NAMES, short_name=short_name, column=request.args.get("unit"),
                           summary=city_summary(found) if found is not None else None,
                           column_link=_column_link, role_title=roles.title), status


def _column_link(code: str | None) -> str:
    """This page with the same filters, showing one unit's column and its problems (None: every column again)."""
    args = request.args.to_dict()
    args.pop("unit", None)
    if code:
        args.update(unit=code, problems="y")
    return url_for(request.endpoint, **args)


def _rows(matrix) -> dict[int, Markup]:
    """Each item's cells as the page writes them (<td>…</td> each), built in one pass from escaped parts: a
    city's matrix has thousands of cells, and a template writing, escaping and translating each one would cost
    more than the rest of the page."""
    link = url_for("monitor.instance", instance_id=0)[:-1]
    said = {}
    units = [(unit.code, escape(unit.name)) for unit in matrix.units]
    none = '<td class="m-none"></td>'
    rows = {}
    for item in matrix.items:
        cells, item_id, number = [], item.id, escape(item.number)
        for code, name in units:
            cell = matrix.cells.get((item_id, code))
            if cell is None:
                cells.append(none)
                continue
            key = (cell.state, cell.days)
            if key not in said:
                said[key] = (escape(cell_text(cell)), escape(_state_words(cell)))
            text, words = said[key]
            title = f"{name} · {number}: {words}"
            if cell.instance_id:
                cells.append(f'<td class="m-{cell.state}"><a href="{link}{cell.instance_id}" title="{title}">{text}'
                             f'</a></td>')
            else:
                cells.append(f'<td class="m-{cell.state}"><span title="{title}">{text}</span></td>')
        rows[item_id] = Markup("".join(cells))
    return rows


@bp.route("/matrix.xlsx")
def export():
    _form, found = _matrix_of_request()
    if found is None:
        raise NotFound(_l("No plan has been opened yet."))
    stream = exports.matrix_workbook(found, short_name, cell_text, cell_title, STATES)
    return send_file(stream, as_attachment=True, download_name=f"matrica-{found.as_of:%Y-%m-%d}.xlsx",
                     mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")


def _matrix_of_request():
    """(the filter form, the matrix it asks for over the units the user may see), or (None, None) when no plan
    is open."""
    try:
        plan = plan_for(request.args.get("year"))
    except NotFound:
        return None, None
    form = MatrixForm(request.args)
    form.offer(plan)
    query = form.query() if form.validate() else MatrixQuery()
    units = visible_units(current_user)
    column = request.args.get("unit")
    if column:  # one unit's column (the summary's links): within what the reader may see
        units = {column} if units is None else {column} & units
    return form, plan_matrix(plan, query, units=units)


def short_name(unit) -> str:
    """A column's heading: the number of a school or PPE (its full name is the heading's title)."""
    found = _NUMBER.search(unit.name) if unit.kind != "department" else None
    return found.group(1) if found else unit.code.upper()


def cell_text(cell) -> str:
    symbol = STATES[cell.state][0]
    return f"{symbol}{cell.days}" if cell.days and cell.state in ("overdue", "done_late") else symbol


def cell_title(item, unit, cell) -> str:
    return f"{unit.name} · {item.number}: {_state_words(cell)}"


def _state_words(cell) -> str:
    words = str(STATES[cell.state][1])
    if cell.days and cell.state in ("overdue", "done_late"):
        words = _("%(state)s by %(days)s d.", state=words, days=cell.days)
    return words

