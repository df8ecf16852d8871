"""The city summary above the matrix (issue 13 §2) on a lived plan: each item's state per section and per executor,
the units with the most overdue work and the weekly completions and deadlines agree with a brute-force reading of
the instance and task rows (tests/web/test_plan_matrix.py's); the page carries the same weekly figures as the
chart's JSON and as a table; /plan is the department's landing page with the list of items at /plan/list; a school
head's summary counts her own columns only."""
import json
import re
from collections import Counter, defaultdict
from datetime import date, timedelta
from html import unescape

import pytest
from markupsafe import escape
from sqlalchemy import select

from engine import clock, user_by_login
from engine.access import visible_units
from engine.db import db
from engine.directory.naming import natural_key
from engine.models import HumanTask, ProcessInstance, Unit
from engine.plan import MatrixQuery, city_summary, plan_for, plan_matrix
from tests.web.lived import lived_site
from tests.web.test_plan_matrix import brute_force

DONE = ("done", "done_late")


@pytest.fixture(scope="module")
def site(backends, tmp_path_factory):
    with lived_site(backends, tmp_path_factory) as client_for:
        yield client_for


def expected_item_state(states: list[str]) -> str | None:
    """The summary's rule as its hint on the page words it, written again from the words."""
    states = [s for s in states if s not in ("none", "cancelled")]
    if not states:
        return None
    if "overdue" in states:
        return "overdue"
    if "error" in states:
        return "error"
    if all(s in DONE for s in states):
        return "done"
    if all(s == "not_due" for s in states):
        return "not_started"
    return "in_progress"


def expected_counts(plan, cells: dict, codes: set[str], items=None) -> tuple[dict, dict, Counter]:
    """(section → Counter of item states, role → Counter, all items' Counter) from brute-force cells."""
    sections, roles, total = defaultdict(Counter), defaultdict(Counter), Counter()
    for item in items if items is not None else plan.items:
        state = expected_item_state([s for (i, code), (s, _d) in cells.items() if i == item.id and code in codes])
        if state is None:
            continue
        sections[item.section][state] += 1
        total[state] += 1
        for role in item.roles:
            roles[role][state] += 1
    return sections, roles, total


def counter(counts) -> Counter:
    return +Counter({s: getattr(counts, s) for s in ("overdue", "error", "done", "not_started", "in_progress")})


def all_codes() -> set[str]:
    return {u.code for u in db.session.scalars(select(Unit)) if u.kind in ("school", "ppe", "department")}


def monday(day: date) -> date:
    return day - timedelta(days=day.weekday())


def expected_weeks(plan, cells: dict, as_of: date) -> tuple[Counter, Counter]:
    """(completions, deadlines) by Monday: the completion day of each done cell's instance (read from every
    instance row), the due date of each item for each unit it concerns (not cancelled for it)."""
    zone = clock.local_zone()
    items = {item.id: item for item in plan.items}
    finished = defaultdict(list)
    for instance in db.session.scalars(select(ProcessInstance).where(ProcessInstance.completed_at.is_not(None))):
        day = clock.aware(instance.completed_at).astimezone(zone).date()
        if instance.plan_item_id in items and day <= as_of and instance.status == "completed":
            finished[(instance.plan_item_id, instance.unit_code)].append(day)
    numbers = {item.number: item.id for item in items.values()}
    for item in items.values():  # a carried item (items.json "carried_by") is done when its carrier's task is
        carried = (item.params or {}).get("_carried_by")
        for task, unit in db.session.execute(
                select(HumanTask, ProcessInstance.unit_code)
                .join(ProcessInstance, ProcessInstance.id == HumanTask.instance_id)
                .where(ProcessInstance.plan_item_id == numbers[carried["item"]], HumanTask.state == "COMPLETED",
                       HumanTask.bpmn_id.in_(carried["tasks"]))).all() if carried else ():
            day = clock.aware(task.completed_at).astimezone(zone).date()
            if day <= as_of:
                finished[(item.id, unit)].append(day)
    completions, deadlines = Counter(), Counter()
    for key, (state, _days) in cells.items():
        if state in DONE:
            days = finished[key]
            assert len(days) == 1, (key, days)  # one instance per item and unit in the lived plan
            completions[monday(days[0])] += 1
        if state not in ("none", "cancelled") and items[key[0]].due:
            deadlines[monday(items[key[0]].due)] += 1
    return completions, deadlines


@pytest.mark.parametrize("as_of", [None, date(2020, 11, 10)])
def test_the_items_states_per_section_and_executor_agree_with_a_brute_force_reading(site, as_of):
    plan = plan_for()
    summary = city_summary(plan_matrix(plan, MatrixQuery(as_of=as_of)))
    cells = brute_force(plan, summary.as_of)
    sections, roles, total = expected_counts(plan, cells, all_codes())
    assert counter(summary.total) == total and summary.total.items == len(plan.items)
    assert {number: counter(c) for number, _title, c in summary.sections} == sections
    assert {role: counter(c) for role, c in summary.executors if c.items} == roles
    assert total["done"] and total["overdue"] and total["in_progress"]  # the lived plan has them all
    assert {"iao_specialist", "guo_head", "school_head"} <= {role for role, c in summary.executors if c.items}


def test_the_units_with_the_most_overdue_work_are_ranked_by_cells_then_days(site):
    plan = plan_for()
    summary = city_summary(plan_matrix(plan))
    overdue, days = Counter(), Counter()
    for (_item, code), (state, late) in brute_force(plan, summary.as_of).items():
        if state == "overdue":
            overdue[code] += 1
            days[code] += late
    names = {u.code: u.name for u in db.session.scalars(select(Unit))}
    ranked = sorted(overdue, key=lambda code: (-overdue[code], -days[code], natural_key(names[code])))[:10]
    assert [(load.unit.code, load.overdue, load.days) for load in summary.units] == \
        [(code, overdue[code], days[code]) for code in ranked]
    assert len(summary.units) == min(10, len(overdue)) and summary.units[0].overdue >= 2


@pytest.mark.parametrize("as_of", [None, date(2020, 11, 10)])
def test_the_weekly_completions_and_deadlines_agree_with_the_instances(site, as_of):
    plan = plan_for()
    summary = city_summary(plan_matrix(plan, MatrixQuery(as_of=as_of)))
    completions, deadlines = expected_weeks(plan, brute_force(plan, summary.as_of), summary.as_of)
    assert {w.starts: w.completions for w in summary.weeks if w.completions} == completions
    assert {w.starts: w.deadlines for w in summary.weeks if w.deadlines} == deadlines
    starts = [w.starts for w in summary.weeks]
    assert starts[0] <= plan.school_year_starts and starts[-1] >= monday(plan.school_year_ends)
    assert all(b - a == timedelta(days=7) and a.weekday() == 0 for a, b in zip(starts, starts[1:]))
    chart = summary.chart()
    assert chart["completions"][-1] is None  # nothing is done after the day shown: the line stops there


def test_the_landing_page_carries_the_summary_the_chart_data_and_its_table(site):
    iao = site("iao")
    response = iao.get("/plan/")
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "Сводка по городу" in page and 'id="matrix"' in page
    plan = plan_for()
    summary = city_summary(plan_matrix(plan))
    data = json.loads(unescape(re.search(r'<script type="application/json" id="summary-data">(.*?)</script>',
                                         page, re.S).group(1)))
    completions, deadlines = expected_weeks(plan, brute_force(plan, summary.as_of), summary.as_of)
    weeks = [date.fromisoformat(w) for w in data["weeks"]]
    assert {w: n for w, n in zip(weeks, data["completions"]) if n} == completions
    assert {w: n for w, n in zip(weeks, data["deadlines"]) if n} == deadlines
    table = re.search(r'<table class="list" id="summary-weeks">.*?</table>', page, re.S).group(0)
    rows = re.findall(r'<tr><th scope="row">([\d.]+)</th><td>([\d—]+)</td><td>(\d+)</td></tr>', table)
    assert len(rows) == len(weeks) and rows[0][0] == weeks[0].strftime("%d.%m.%Y")
    assert [int(r[2]) for r in rows] == data["deadlines"]
    assert "/static/vendor/chart.js/chart.umd.min.js" in page and "/static/summary.js" in page
    # every ranked unit links to its own column of the matrix, problems only
    first = summary.units[0]
    link = re.search(r'<a href="([^"]+)">%s</a>: просрочено пунктов: %d' % (re.escape(escape(first.unit.name)),
                                                                           first.overdue), page)
    assert link, "no link to the worst unit's column"
    column = iao.get(unescape(link.group(1))).get_data(as_text=True)
    headings = re.findall(r'<th scope="col" class="m-unit" title="([^"]+)"', column)
    assert [unescape(h) for h in headings] == [first.unit.name]
    problems = {i for (i, code), (state, _d) in brute_force(plan, summary.as_of).items()
                if code == first.unit.code and state in ("overdue", "error")}
    assert column.count('<th scope="row" class="m-item">') == len(problems) + 2  # its problem rows, two totals
    assert "Список пунктов" in page and 'href="/plan/list' in page


def test_the_list_of_items_moved_to_plan_list(site):
    iao = site("iao")
    listed = iao.get("/plan/list").get_data(as_text=True)
    assert "3. Организация. Управление. Контроль." in listed and 'class="list plan-table"' in listed
    assert 'href="/plan/?year=' in listed  # back to the matrix
    assert site("head17").get("/plan/list").status_code == 403
    assert site("head17").get("/plan/").status_code == 403


def test_a_filter_of_the_matrix_narrows_the_summary(site):
    plan = plan_for()
    narrowed = city_summary(plan_matrix(plan, MatrixQuery(section=3, unit_kind="school")))
    assert [number for number, _t, _c in narrowed.sections] == [3]
    cells = brute_force(plan, narrowed.as_of)
    schools = {u.code for u in db.session.scalars(select(Unit).where(Unit.kind == "school"))}
    sections, _roles, total = expected_counts(plan, cells, schools, [i for i in plan.items if i.section == 3])
    assert counter(narrowed.total) == total
    page = site("iao").get("/plan/?section=3").get_data(as_text=True)
    assert len(re.findall(r'<table class="list summary-counts" id="summary-sections">.*?<tbody>(.*?)</tbody>',
                          page, re.S)[0].split("<tr>")) == 2  # one section row


def test_a_school_heads_summary_counts_her_own_columns_only(site):
    plan = plan_for()
    mine = visible_units(user_by_login("head17"))
    page = site("head17").get("/plan/matrix").get_data(as_text=True)
    assert "Сводка по вашим учреждениям" in page and "Сводка по городу" not in page
    assert "Учреждения с наибольшей просрочкой" not in page  # a ranking of her own one or two units says nothing
    summary = city_summary(plan_matrix(plan, units=mine))
    cells = brute_force(plan, summary.as_of)
    _sections, _roles, total = expected_counts(plan, cells, mine)
    assert counter(summary.total) == total and 0 < summary.total.items < len(plan.items)
    footer = re.search(r"<tfoot>\s*<tr><th scope=\"row\">Все пункты</th>((?:<td[^>]*>\d+</td>\s*)+)</tr>", page)
    assert [int(n) for n in re.findall(r">(\d+)<", footer.group(1))] == [
        summary.total.items, summary.total.done, summary.total.in_progress, summary.total.overdue,
        summary.total.error, summary.total.not_started]
    data = json.loads(unescape(re.search(r'id="summary-data">(.*?)</script>', page, re.S).group(1)))
    completions, deadlines = expected_weeks(plan, {k: v for k, v in cells.items() if k[1] in mine}, summary.as_of)
    assert sum(n for n in data["completions"] if n) == sum(completions.values())
    assert sum(data["deadlines"]) == sum(deadlines.values()) > 0
    other = site("head17").get("/plan/matrix?unit=school-1").get_data(as_text=True)
    assert "МБОУ «СОШ №1»" not in other  # asking for another unit's column shows nothing of it


def test_errors_count_after_overdue_and_a_tie_in_overdue_cells_goes_to_the_more_days(site):
    """The lived plan has no failed instance and its slowest schools tie on every figure: a matrix of three items
    and three units with chosen states (read by the same summary, the weeks from the database) shows the rest."""
    from engine.plan.matrix import Cell, Matrix
    plan = plan_for()
    items = [i for i in plan.items if i.scope == "schools"][:3]
    units = list(db.session.scalars(select(Unit).where(Unit.code.in_(("school-1", "school-2", "school-3")))))
    a, b, c = (u.code for u in sorted(units, key=lambda u: natural_key(u.name)))
    cells = {(items[0].id, a): Cell("error"), (items[0].id, b): Cell("overdue", 2), (items[0].id, c): Cell("done"),
             (items[1].id, a): Cell("error"), (items[1].id, b): Cell("done"), (items[1].id, c): Cell("overdue", 9),
             (items[2].id, a): Cell("done_late", 3), (items[2].id, b): Cell("cancelled"),
             (items[2].id, c): Cell("done")}
    summary = city_summary(Matrix(plan, date(2020, 12, 4), items, units, cells))
    assert (summary.total.overdue, summary.total.error, summary.total.done) == (2, 0, 1)
    assert [(load.unit.code, load.overdue, load.days) for load in summary.units] == [(c, 1, 9), (b, 1, 2)]
    cells[(items[0].id, b)] = cells[(items[1].id, c)] = Cell("running")
    summary = city_summary(Matrix(plan, date(2020, 12, 4), items, units, cells))
    assert (summary.total.error, summary.total.done, summary.total.in_progress) == (2, 1, 0) and not summary.units
