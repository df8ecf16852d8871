"""The plan at a glance (issue 13 §1) on a lived plan: every cell agrees with a brute-force reading of the
instance and task rows, today and on an earlier day; the page shows it with a symbol per state and links to what
is behind a cell; "problems only" keeps the rows and columns with something overdue or in error; the Excel export
is the table shown, with the same colours; a school head is refused it like the rest of the plan."""
import io
import re
from datetime import date, datetime, time, timedelta

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from engine import clock, user_by_login
from engine.access import visible_units
from engine.directory import unit_names
from engine.db import db
from engine.models import HumanTask, ProcessInstance, Unit
from engine.plan import MatrixQuery, plan_for, plan_matrix
from tests.web.lived import lived_site

SCOPE_KIND = {"schools": "school", "ppe": "ppe", "department": "department"}
WORST_FIRST = ("error", "overdue", "running", "done_late", "done", "cancelled")


@pytest.fixture(scope="module")
def site(backends, tmp_path_factory):
    with lived_site(backends, tmp_path_factory) as client_for:
        yield client_for


def brute_force(plan, as_of: date) -> dict:
    """(item id, unit code) → (state, days), from every row read into Python, the way a person would check."""
    now = clock.now()
    today = now.astimezone(clock.local_zone()).date()
    cutoff = now if as_of == today else datetime.combine(as_of + timedelta(days=1), time(), tzinfo=clock.local_zone())
    items = {item.id: item for item in plan.items}
    units = {u.code: u for u in db.session.scalars(select(Unit)) if u.kind in ("school", "ppe", "department")}
    tasks = list(db.session.scalars(select(HumanTask)))
    expected = {}
    for item in items.values():
        for unit in units.values():
            if unit.kind == SCOPE_KIND[item.scope]:
                expected[(item.id, unit.code)] = ("not_due", None)
    found = {}
    for instance in db.session.scalars(select(ProcessInstance)):
        if instance.plan_item_id not in items or instance.unit_code not in units:
            continue
        if clock.aware(instance.created_at) >= cutoff:
            continue
        completed = instance.completed_at and clock.aware(instance.completed_at) < cutoff
        open_due = [clock.aware(t.due_at) for t in tasks if t.instance_id == instance.id and t.due_at
                    and t.state != "WAITING" and clock.aware(t.created_at) < cutoff and clock.aware(t.due_at) < cutoff
                    and (t.state == "READY" or (t.completed_at and clock.aware(t.completed_at) >= cutoff))]
        if instance.status in ("error", "stalled"):
            state = ("error", None)
        elif instance.status == "cancelled" and (completed or instance.completed_at is None):
            state = ("cancelled", None)
        elif completed:
            state = ("done_late", instance.late_days) if instance.late_days else ("done", None)
        elif open_due:
            day = (cutoff - timedelta(microseconds=1)).astimezone(clock.local_zone()).date()
            state = ("overdue", max(1, (day - min(open_due).astimezone(clock.local_zone()).date()).days))
        else:
            state = ("running", None)
        found.setdefault((instance.plan_item_id, instance.unit_code), []).append(state)
    for item in items.values():  # carried by another item's tasks (items.json "carried_by"): read from those
        carried = (item.params or {}).get("_carried_by")
        for instance in db.session.scalars(select(ProcessInstance)) if carried else ():
            if items.get(instance.plan_item_id) is None or items[instance.plan_item_id].number != carried["item"] \
                    or instance.unit_code not in units:
                continue
            latest = {t.bpmn_id: t for t in sorted(tasks, key=lambda t: (t.created_at, t.seq))
                      if t.instance_id == instance.id and t.bpmn_id in carried["tasks"]
                      and clock.aware(t.created_at) <= cutoff}
            if latest:
                found.setdefault((item.id, instance.unit_code), []).append(
                    _carried(instance, [latest.get(name) for name in carried["tasks"]], cutoff))
    for key, states in found.items():
        expected[key] = min(states, key=lambda s: (WORST_FIRST.index(s[0]), -(s[1] or 0)))
    return expected


def _carried(instance, rows, cutoff) -> tuple:
    local = clock.local_zone()
    done = [t for t in rows if t and t.state == "COMPLETED" and clock.aware(t.completed_at) <= cutoff]
    if len(done) == len(rows):
        late = max((clock.aware(t.completed_at).astimezone(local).date()
                    - clock.aware(t.due_at).astimezone(local).date()).days if t.due_at else 0 for t in done)
        return ("done_late", late) if late > 0 else ("done", None)
    if instance.status in ("error", "stalled"):
        return ("error", None)
    if instance.status == "cancelled":
        return ("cancelled", None)
    past = [clock.aware(t.due_at) for t in rows if t and t not in done and t.due_at and clock.aware(t.due_at) < cutoff]
    if past:
        day = (cutoff - timedelta(microseconds=1)).astimezone(local).date()
        return ("overdue", max(1, (day - min(past).astimezone(local).date()).days))
    return ("running", None)


def cells_of(matrix) -> dict:
    return {key: (cell.state, cell.days) for key, cell in matrix.cells.items()}


@pytest.mark.parametrize("as_of", [None, date(2020, 11, 10)])
def test_every_cell_agrees_with_a_brute_force_reading_of_the_rows(site, as_of):
    plan = plan_for()
    matrix = plan_matrix(plan, MatrixQuery(as_of=as_of))
    expected = brute_force(plan, matrix.as_of)
    assert cells_of(matrix) == expected
    states = {state for state, _days in expected.values()}
    assert {"done", "running", "not_due"} <= states and ({"overdue", "done_late"} & states)
    assert matrix.total.done == sum(s in ("done", "done_late") for s, _d in expected.values())


def test_an_earlier_day_shows_less_done_than_today(site):
    plan = plan_for()
    today, earlier = plan_matrix(plan), plan_matrix(plan, MatrixQuery(as_of=date(2020, 10, 20)))
    assert earlier.total.done < today.total.done
    not_due = sum(c.state == "not_due" for c in earlier.cells.values())
    assert not_due > sum(c.state == "not_due" for c in today.cells.values())


def test_the_page_shows_each_state_by_symbol_and_links_a_cell_to_its_instance(site):
    iao = site("iao")
    page = iao.get("/plan/matrix").get_data(as_text=True)
    matrix = plan_matrix(plan_for())
    overdue = next((key, c) for key, c in matrix.cells.items() if c.state == "overdue")
    (item_id, unit_code), cell = overdue
    link = re.search(r'<a href="/instances/%d" title="([^"]+)"[^>]*>!%d</a>' % (cell.instance_id, cell.days), page)
    assert link, "no link to the overdue cell's instance"
    assert f"просрочено на {cell.days} дн." in link.group(1)
    assert len(re.findall(r'<td class="m-(?!sum)', page)) == len(matrix.items) * len(matrix.units)
    assert "/static/matrix.js" in page and "Только проблемы" in page
    assert iao.get(f"/instances/{cell.instance_id}").status_code == 200


def test_problems_only_keeps_the_rows_and_columns_with_an_overdue_or_failed_cell(site):
    everything = plan_matrix(plan_for())
    problems = plan_matrix(plan_for(), MatrixQuery(problems_only=True))
    assert 0 < len(problems.items) < len(everything.items) and 0 < len(problems.units) <= len(everything.units)
    for item in problems.items:
        assert any(problems.cell(item, u).state in ("overdue", "error") for u in problems.units)
    for unit in problems.units:
        assert any(problems.cell(i, unit).state in ("overdue", "error") for i in problems.items)
    page = site("iao").get("/plan/matrix?problems=y").get_data(as_text=True)
    assert page.count('<tr class="m-section">') == len({i.section for i in problems.items})


def test_a_filter_by_section_and_unit_kind_narrows_the_table(site):
    plan = plan_for()
    narrowed = plan_matrix(plan, MatrixQuery(section=3, unit_kind="school"))
    assert narrowed.items and {i.section for i in narrowed.items} == {3}
    assert narrowed.units and {u.kind for u in narrowed.units} == {"school"}
    page = site("iao").get("/plan/matrix?section=3&unit_kind=school").get_data(as_text=True)
    assert page.count('<tr class="m-section">') == 1


def test_the_excel_export_is_the_table_shown_with_its_colours(site):
    iao = site("iao")
    response = iao.get("/plan/matrix.xlsx?section=3")
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.data))["Матрица"]
    matrix = plan_matrix(plan_for(), MatrixQuery(section=3))
    assert sheet.max_row == len(matrix.items) + 3  # header, items, two total rows
    overdue = next((i, u) for i in matrix.items for u in matrix.units if matrix.cell(i, u).state == "overdue")
    row = 2 + matrix.items.index(overdue[0])
    column = 3 + matrix.units.index(overdue[1])
    excel = sheet.cell(row=row, column=column)
    assert excel.value == f"!{matrix.cell(*overdue).days}"
    assert excel.fill.fgColor.rgb.endswith("F8D7DA")


def test_a_school_head_sees_her_own_columns_and_the_items_that_ask_them_for_something(site):
    head = site("head17")
    mine = visible_units(user_by_login("head17"))
    page = head.get("/plan/matrix").get_data(as_text=True)
    headings = re.findall(r'<th scope="col" class="m-unit" title="([^"]+)"', page)
    names = unit_names(mine)
    assert headings and set(headings) == {names[code] for code in mine if code in names}
    for other in ("МБОУ «СОШ №1»", "МБОУ «СОШ №2»", "МКУ «Управление образования»"):
        assert other not in page
    city = plan_matrix(plan_for())
    own_rows = {i.number for i in city.items if any(city.cells.get((i.id, code)) for code in mine)}
    rows = set(re.findall(r'<th scope="row" class="m-item"><span title="[^"]*">(\S+) ', page))
    assert rows == own_rows and len(rows) < len(city.items)
    assert "/plan/items/" not in page  # the item pages are the department's
    sheet = load_workbook(io.BytesIO(head.get("/plan/matrix.xlsx").data))["Матрица"]
    assert sheet.max_column == len(headings) + 5
    assert head.get("/plan/").status_code == 403


def test_an_invalid_date_is_said_and_the_whole_matrix_shown(site):
    response = site("iao").get("/plan/matrix?as_of=31.02.2021")
    assert response.status_code == 422
    assert "Состояние на" in response.get_data(as_text=True)
