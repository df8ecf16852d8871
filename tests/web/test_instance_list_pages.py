"""The instance list over HTTP: the page and its filters, sort links and paging (never more rows than a page), a
malformed condition told in words, the empty state, saved filters kept apart from the inbox's, the Excel export of
exactly the filtered list, and a school head who sees only her own school's instances, in the page and in Excel."""
import io
import re

import pytest
from openpyxl import load_workbook

import engine
import webui.instances
from engine import InstanceQuery, matching_ids
from engine.service.instance_list import STATUSES
from tests.engine.test_instance_list import make_city
from tests.web.conftest import csrf


@pytest.fixture
def city(site):
    return make_city()


def row_ids(response) -> list[int]:
    """The instance numbers of the table's rows, in order (each row's first cell links to its instance)."""
    assert response.status_code == 200
    return [int(n) for n in re.findall(r'<td class="num"><a href="/instances/(\d+)">', response.get_data(as_text=True))]


def exported(response) -> list[tuple]:
    assert response.status_code == 200
    assert response.mimetype.endswith("spreadsheetml.sheet")
    return list(load_workbook(io.BytesIO(response.data)).active.values)


def test_the_list_filters_sorts_and_pages_on_the_server(site, city):
    iao = site("iao")
    page = iao.get("/instances")
    html = page.get_data(as_text=True)
    assert "Экземпляры" in html and "late_days" in html  # the title and the hint on what can be filtered
    everyone = matching_ids(engine.user_by_login("iao"), InstanceQuery())
    assert row_ids(page) == everyone[:50] and len(everyone) > 30

    errors = iao.get("/instances?status=error")
    assert sorted(row_ids(errors)) == sorted(city["error"])
    assert "division by zero" in errors.get_data(as_text=True) and "ошибка" in errors.get_data(as_text=True)

    first = iao.get("/instances?per_page=7&sort=id")
    assert row_ids(first) == sorted(everyone)[:7]
    text = first.get_data(as_text=True)
    pages = -(-len(everyone) // 7)
    assert f"страница 1 из {pages}, экземпляров: {len(everyone)}" in text
    [next_link] = re.findall(r'href="([^"]+)" rel="next"', text)
    assert row_ids(iao.get(next_link.replace("&amp;", "&"))) == sorted(everyone)[7:14]
    assert len(row_ids(iao.get("/instances?per_page=100000"))) == min(200, len(everyone))  # a page is capped

    # the column's header sorts by it, and again the other way round
    by_unit = iao.get("/instances?sort=unit").get_data(as_text=True)
    assert 'aria-sort="ascending"' in by_unit and "sort=-unit" in by_unit

    # a business-variable condition, and a malformed one: told in words, not applied, no error page
    late = iao.get("/instances?where=late_days+>%3D+3&per_page=200")
    assert sorted(row_ids(late)) == sorted(matching_ids(engine.user_by_login("iao"),
                                                        InstanceQuery(where="late_days >= 3")))
    broken = iao.get("/instances?where=late_days+>>+3&status=error")
    assert "Для late_days нужно целое число, а не «&gt; 3»" in broken.get_data(as_text=True)
    unread = iao.get("/instances?where=late_days+3").get_data(as_text=True)
    assert "Не удалось разобрать условие «late_days 3»" in unread
    assert sorted(row_ids(broken)) == sorted(city["error"])

    typo = iao.get("/instances?where=fixdays+>+5").get_data(as_text=True)  # read and applied: named, not "left out"
    assert "нет переменной «fixdays»" in typo and "Это условие не применено" not in typo
    assert "Ничего не найдено по этому фильтру" in typo

    nothing = iao.get("/instances?status=error&unit=school-17&where=late_days+<+0")
    assert row_ids(nothing) == [] and "Ничего не найдено по этому фильтру" in nothing.get_data(as_text=True)

    # reached from the activities' pages and the navigation bar
    assert 'href="/instances?process=task"' in iao.get("/activities/task").get_data(as_text=True)
    activities = iao.get("/activities").get_data(as_text=True)
    assert 'href="/instances"' in activities and "Все экземпляры" in activities
    of_task = iao.get("/instances?process=task").get_data(as_text=True)
    assert "Версия" in of_task and 'name="version"' in of_task


def test_the_export_holds_exactly_the_filtered_list_on_every_page(site, city, monkeypatch):
    iao = site("iao")
    query = "status=running&sort=id&per_page=2"  # all matches, not the page shown
    rows = exported(iao.get(f"/instances.xlsx?{query}"))
    assert rows[0][:6] == ("№", "Мероприятие", "Пункт плана", "Версия", "Организация", "Статус")
    assert [r[0] for r in rows[1:]] == sorted(city["running"])
    late = exported(iao.get("/instances.xlsx?where=late_days+>+1"))
    assert sorted(r[0] for r in late[1:]) == sorted(matching_ids(engine.user_by_login("iao"),
                                                                 InstanceQuery(where="late_days > 1")))
    assert {r[rows[0].index("Статус")] for r in late[1:]} <= {"в работе", "ошибка"}

    # a list longer than the cap: its first rows, and a line that says so
    monkeypatch.setattr(webui.instances, "EXPORT_LIMIT", 3)
    rows = exported(iao.get("/instances.xlsx?sort=id"))
    total = len(matching_ids(engine.user_by_login("iao"), InstanceQuery()))
    assert [r[0] for r in rows[1:4]] == sorted(matching_ids(engine.user_by_login("iao"), InstanceQuery()))[:3]
    assert len(rows) == 5 and rows[4][0] == f"Выгружены первые 3 из {total} экземпляров: уточните фильтр."


def test_a_school_head_sees_only_her_schools_instances_in_the_list_and_in_excel(site, city):
    head = site("head12")
    visible = sorted(matching_ids(engine.user_by_login("head12"), InstanceQuery()))
    assert visible and len(visible) < sum(len(city[status]) for status in STATUSES)
    assert sorted(row_ids(head.get("/instances?per_page=200"))) == visible
    assert sorted(r[0] for r in exported(head.get("/instances.xlsx"))[1:]) == visible
    other = head.get("/instances?unit=school-17")
    text = other.get_data(as_text=True)
    assert row_ids(other) == [] and "Ничего не найдено по этому фильтру" in text and "СОШ №17" not in text
    assert exported(head.get("/instances.xlsx?unit=school-17"))[1:] == []
    assert 'href="/instances"' not in head.get("/").get_data(as_text=True)  # the link is the department's


def test_saved_filters_of_the_list_are_kept_shared_and_deleted_apart_from_the_inbox(site):
    iao = site("iao")
    token = csrf(iao.get("/instances"))
    response = iao.post("/instances/filters", data={"csrf_token": token, "name": "Ошибки города", "scope": "department",
                                                   "status": "problems", "where": "late_days > 3"})
    assert response.status_code == 302 and "status=problems" in response.location
    head = site("iao_head").get("/instances").get_data(as_text=True)
    assert "Ошибки города" in head and "status=problems" in head
    assert "Ошибки города" not in site("iao_head").get("/").get_data(as_text=True)  # not an inbox filter
    [kept] = engine.saved_filters(engine.user_by_login("iao"), page="instances")
    assert iao.post(f"/instances/filters/{kept.id}/delete", data={"csrf_token": token}).status_code == 302
    assert engine.saved_filters(engine.user_by_login("iao"), page="instances") == []
    inbox_filter = engine.save_filter(engine.user_by_login("iao"), "Входящие", "private", engine.InboxQuery())
    assert iao.post(f"/instances/filters/{inbox_filter.id}/delete", data={"csrf_token": token}).status_code == 404
    assert [f.name for f in engine.saved_filters(engine.user_by_login("iao"))] == ["Входящие"]
